import type { Redis } from "@argus/runtime";
import type { StoredPrediction } from "../domain/performance.js";
import { compactWindow } from "../domain/window-compaction.js";
import type { WindowDelta } from "../domain/window-counters.js";

/** Distinct categories kept per feature and window; further ones are counted as `__other__`. */
export const windowCategoryCap = 200;

/**
 * Applies a batch's window deltas with the partition's offset fence in one script. A window that
 * was already evaluated (closed) takes no more data: its events are counted as late instead, so a
 * report never changes after it was published and late data is visible, not silently dropped.
 * The partition's watermark (largest event time) is advanced in the same script.
 */
const applyScript = `
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
local payload = cjson.decode(ARGV[3])
local ttl = tonumber(ARGV[4])
local cap = tonumber(ARGV[5])
for _, w in ipairs(payload.windows) do
  local key = KEYS[w.k]
  if redis.call('HEXISTS', key, 'closed') == 1 then
    redis.call('HINCRBY', key, 'late', w.n)
  else
    for _, c in ipairs(w.c) do
      local field = c[1]
      if c[3] and redis.call('HEXISTS', key, field) == 0 then
        if redis.call('HINCRBY', key, c[3] .. ':distinct', 1) > cap then field = c[3] .. ':c:__other__' end
      end
      redis.call('HINCRBY', key, field, c[2])
    end
    for _, d in ipairs(w.d) do
      local prefix = d[1]
      local positive = d[2]
      for i = 1, #positive, 2 do redis.call('HINCRBY', key, prefix .. ':d:p' .. positive[i], positive[i + 1]) end
      local negative = d[3]
      for i = 1, #negative, 2 do redis.call('HINCRBY', key, prefix .. ':d:n' .. negative[i], negative[i + 1]) end
      if d[4] > 0 then redis.call('HINCRBY', key, prefix .. ':d:z', d[4]) end
    end
    for _, e in ipairs(w.e) do
      local lo = redis.call('HGET', key, e[1] .. ':lo')
      if not lo or tonumber(e[2]) < tonumber(lo) then redis.call('HSET', key, e[1] .. ':lo', e[2]) end
      local hi = redis.call('HGET', key, e[1] .. ':hi')
      if not hi or tonumber(e[3]) > tonumber(hi) then redis.call('HSET', key, e[1] .. ':hi', e[3]) end
    end
    if w.bv then
      local bv = redis.call('HGET', key, 'mv:bv')
      if not bv then redis.call('HSET', key, 'mv:bv', w.bv)
      elseif bv ~= w.bv then redis.call('HSET', key, 'mv:mixed', 1) end
    end
    redis.call('ZADD', KEYS[w.z], 'NX', w.s, w.s)
    redis.call('HSETNX', KEYS[2], w.m, w.t)
  end
  redis.call('PEXPIRE', key, ttl)
end
for _, p in ipairs(payload.pr) do
  redis.call('SET', p[1], p[2], 'PX', tonumber(ARGV[6]))
end
if payload.wm then
  local previous = redis.call('HGET', KEYS[3], payload.wm[1])
  if not previous or tonumber(payload.wm[2]) > tonumber(previous) then
    redis.call('HSET', KEYS[3], payload.wm[1], payload.wm[2])
    redis.call('HSET', KEYS[3], payload.wm[1] .. ':at', payload.wm[3])
  end
end
return 1
`;

const compactScript = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 0 end
local packedPairs = tonumber(ARGV[1])
local fields = {}
for i = 2, 1 + 2 * packedPairs do fields[#fields + 1] = ARGV[i] end
local keep = {}
for i = 2 + 2 * packedPairs, #ARGV do keep[#keep + 1] = ARGV[i] end
local values = redis.call('HMGET', KEYS[1], unpack(keep))
for i, field in ipairs(keep) do
  if values[i] then
    fields[#fields + 1] = field
    fields[#fields + 1] = values[i]
  end
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(fields))
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
redis.call('RENAME', KEYS[2], KEYS[1])
return 1
`;

/** `f:age` of `f:age:c:<category>` (category names are URI-encoded: no ':' after the marker). */
function categoryPrefixOf(field: string): string | undefined {
  const marker = field.lastIndexOf(":c:");
  if (marker < 0 || field.indexOf(":", marker + 3) >= 0) return undefined;
  return field.slice(0, marker);
}

export class WindowStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: (...parts: string[]) => string,
    private readonly retentionMs: number,
    /** How long a prediction waits for its ground-truth label. */
    private readonly predictionTtlMs: number,
  ) {}

  predictionKey(modelId: string, requestId: string): string {
    return this.key("pred", `{${modelId}}`, requestId);
  }

  async predictions(
    keys: { modelId: string; requestId: string }[],
  ): Promise<(StoredPrediction | undefined)[]> {
    if (keys.length === 0) return [];
    const values = await this.redis.mget(
      keys.map(({ modelId, requestId }) => this.predictionKey(modelId, requestId)),
    );
    return values.map((value) => (value ? (JSON.parse(value) as StoredPrediction) : undefined));
  }

  windowKey(modelId: string, windowStart: number): string {
    return this.key("win", `{${modelId}}`, String(windowStart));
  }

  /** Windows of a model that have data and no report yet. */
  pendingKey(modelId: string): string {
    return this.key("pending", `{${modelId}}`);
  }

  get modelsKey(): string {
    return this.key("models");
  }

  get watermarksKey(): string {
    return this.key("watermarks");
  }

  /**
   * Stores `deltas` and moves the fence from `expected` to `lastOffset`; false when another replica
   * moved the fence first (nothing written).
   */
  async apply(
    fenceKey: string,
    expected: bigint | null,
    lastOffset: string,
    deltas: WindowDelta[],
    watermark: { partition: number; eventTimeMs: number; nowMs: number } | undefined,
    predictions: { modelId: string; requestId: string; prediction: StoredPrediction }[] = [],
  ): Promise<boolean> {
    const keys = [fenceKey, this.modelsKey, this.watermarksKey];
    const indexOf = new Map<string, number>();
    const keyIndex = (key: string) => {
      let index = indexOf.get(key);
      if (index === undefined) {
        keys.push(key);
        index = keys.length;
        indexOf.set(key, index);
      }
      return index;
    };
    const windows = deltas.map((delta) => ({
      k: keyIndex(this.windowKey(delta.modelId, delta.windowStart)),
      z: keyIndex(this.pendingKey(delta.modelId)),
      s: delta.windowStart,
      m: delta.modelId,
      t: delta.tenant,
      n: delta.counters.get("n") ?? 0,
      c: [...delta.counters].map(([field, count]) => {
        const prefix = categoryPrefixOf(field);
        return prefix === undefined ? [field, count] : [field, count, prefix];
      }),
      // Bucket keys go as numbers; the script makes the field names (Lua prints integers as JS does).
      d: [...delta.sketches].map(([prefix, sketch]) => [
        prefix,
        sketch.positive,
        sketch.negative,
        sketch.zero,
      ]),
      e: [...delta.extremes].map(([prefix, [low, high]]) => [prefix, String(low), String(high)]),
      ...(delta.pcaBaselineVersion !== undefined ? { bv: String(delta.pcaBaselineVersion) } : {}),
    }));
    const payload = {
      windows,
      pr: predictions.map(({ modelId, requestId, prediction }) => [
        this.predictionKey(modelId, requestId),
        JSON.stringify(prediction),
      ]),
      ...(watermark
        ? { wm: [String(watermark.partition), String(watermark.eventTimeMs), String(watermark.nowMs)] }
        : {}),
    };
    const result = await this.redis.eval(
      applyScript,
      keys.length,
      ...keys,
      expected === null ? "" : expected.toString(),
      lastOffset,
      JSON.stringify(payload),
      this.retentionMs,
      windowCategoryCap,
      this.predictionTtlMs,
    );
    return result === 1;
  }

  async watermarks(): Promise<{ partition: string; eventTimeMs: number; updatedAtMs: number }[]> {
    const hash = await this.redis.hgetall(this.watermarksKey);
    return Object.entries(hash)
      .filter(([field]) => !field.endsWith(":at"))
      .map(([partition, value]) => ({
        partition,
        eventTimeMs: Number(value),
        updatedAtMs: Number(hash[`${partition}:at`] ?? 0),
      }));
  }

  /** Models seen, with the tenant of their first event. */
  async models(): Promise<Map<string, string>> {
    const hash = await this.redis.hgetall(this.modelsKey);
    return new Map(Object.entries(hash).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  async pendingWindows(modelId: string, upToStart: number): Promise<number[]> {
    return (await this.redis.zrangebyscore(this.pendingKey(modelId), "-inf", upToStart)).map(Number);
  }

  /** Closes the window (later events count as late) and returns its counters, atomically. */
  async closeAndRead(modelId: string, windowStart: number): Promise<Record<string, string>> {
    const key = this.windowKey(modelId, windowStart);
    const [, [, hash]] = (await this.redis.multi().hset(key, "closed", "1").hgetall(key).exec()) as [
      [Error | null, unknown],
      [Error | null, Record<string, string>],
    ];
    return hash;
  }

  /**
   * Packs an evaluated window's sketches (see window-compaction.ts) by rewriting the hash: deleting
   * the bucket fields in place would leave Redis' table sized for thousands of fields (32 KiB of a
   * 44 KiB window). The rewrite reads the fields it keeps live, `late` included, so late events
   * counted since the window was read are not lost; a window packed twice stays the same.
   */
  async compact(modelId: string, windowStart: number, hash: Record<string, string>): Promise<void> {
    const { set, remove } = compactWindow(hash);
    if (remove.length === 0) return;
    const removed = new Set(remove);
    const keep = new Set(Object.keys(hash).filter((field) => !removed.has(field) && !(field in set)));
    keep.add("late");
    const key = this.windowKey(modelId, windowStart);
    const packed = Object.entries(set).flat();
    await this.redis.eval(compactScript, 2, key, `${key}:packing`, packed.length / 2, ...packed, ...keep);
  }

  async readWindow(modelId: string, windowStart: number): Promise<Record<string, string>> {
    return this.redis.hgetall(this.windowKey(modelId, windowStart));
  }

  async markReported(modelId: string, windowStart: number): Promise<void> {
    await this.redis.zrem(this.pendingKey(modelId), String(windowStart));
  }
}
