import type { Redis } from "ioredis";

/** One write applied together with the fence: a Redis command whose first argument is its key. */
export type FencedCommand = [command: FencedVerb, key: string, ...args: (string | number)[]];
export type FencedVerb =
  | "SET"
  | "DEL"
  | "HSET"
  | "HINCRBY"
  | "HDEL"
  | "ZADD"
  | "ZREM"
  | "INCRBY"
  | "PEXPIRE"
  | "SADD";

// Compare-and-set of the fence, then every write, in one atomic script: a batch's effects and the
// offset that says "applied up to here" can never be stored apart. Redis does not roll back a
// script that fails half-way, so every key's type is checked before the first write: a wrong type
// (the only runtime error these verbs can meet) fails the whole batch with nothing written.
const applyScript = `
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return 0 end
local expected = { SET = 'string', INCRBY = 'string', HSET = 'hash', HINCRBY = 'hash', HDEL = 'hash',
  ZADD = 'zset', ZREM = 'zset', SADD = 'set' }
local count = tonumber(ARGV[3])
local pos = 4
for c = 1, count do
  local argc = tonumber(ARGV[pos])
  local want = expected[ARGV[pos + 1]]
  if want then
    local key = KEYS[tonumber(ARGV[pos + 2])]
    local have = redis.call('TYPE', key).ok
    if have ~= 'none' and have ~= want then
      return redis.error_reply('WRONGTYPE ' .. key .. ' holds a ' .. have .. ', ' .. ARGV[pos + 1] .. ' needs a ' .. want)
    end
  end
  pos = pos + 3 + argc
end
redis.call('SET', KEYS[1], ARGV[2])
pos = 4
for c = 1, count do
  local argc = tonumber(ARGV[pos])
  local verb = ARGV[pos + 1]
  local args = { KEYS[tonumber(ARGV[pos + 2])] }
  for j = 1, argc do args[j + 1] = ARGV[pos + 2 + j] end
  redis.call(verb, unpack(args))
  pos = pos + 3 + argc
end
return 1
`;

/**
 * Exactly-once effects over an at-least-once stream: the last offset applied for a partition is
 * stored atomically with the batch's state changes, and records at or below it are skipped.
 * The compare-and-set also fences off a replica that lost the partition in a rebalance but still
 * holds a batch: its write fails instead of applying the same records a second time.
 */
export class OffsetFence {
  constructor(
    private readonly redis: Redis,
    /** The Redis key holding the fence of a partition (for services that write it in their own script). */
    readonly keyFor: (topic: string, partition: number) => string,
  ) {}

  /** The last offset applied for the partition, or null when nothing has been applied yet. */
  async read(topic: string, partition: number): Promise<bigint | null> {
    const value = await this.redis.get(this.keyFor(topic, partition));
    return value === null ? null : BigInt(value);
  }

  /**
   * Stores `commands` and moves the fence from `expected` to `lastOffset`, atomically. Returns
   * false (and writes nothing) when the fence is no longer at `expected`.
   */
  async apply(
    topic: string,
    partition: number,
    expected: bigint | null,
    lastOffset: string,
    commands: FencedCommand[],
  ): Promise<boolean> {
    const keys = [this.keyFor(topic, partition)];
    const keyIndex = new Map<string, number>();
    const argv: (string | number)[] = [
      expected === null ? "" : expected.toString(),
      lastOffset,
      commands.length,
    ];
    for (const [verb, key, ...args] of commands) {
      let index = keyIndex.get(key);
      if (index === undefined) {
        keys.push(key);
        index = keys.length;
        keyIndex.set(key, index);
      }
      argv.push(args.length, verb, index, ...args);
    }
    const applied = await this.redis.eval(applyScript, keys.length, ...keys, ...argv);
    return applied === 1;
  }
}

/** Keeps the records a fence has not applied yet (offsets above `fence`). */
export function unappliedRecords<R extends { offset: string }>(records: R[], fence: bigint | null): R[] {
  if (fence === null) return records;
  return records.filter((record) => BigInt(record.offset) > fence);
}

export interface FencedBatch<R> {
  topic: string;
  partition: number;
  records: R[];
  lastOffset: string;
}

/**
 * Applies a consumed batch exactly once: skips what the fence says is applied, lets `plan` turn
 * the rest into writes (it may read Redis), and stores them with the fence. When another replica
 * moved the fence meanwhile, the batch is planned again against the new state.
 * Returns the records whose effects this call stored.
 */
export async function applyFenced<R extends { offset: string }>(
  fence: OffsetFence,
  batch: FencedBatch<R>,
  plan: (records: R[]) => Promise<FencedCommand[]>,
  maxAttempts = 5,
): Promise<R[]> {
  return applyFencedWith(
    fence,
    batch,
    async (fresh, expected) =>
      fence.apply(batch.topic, batch.partition, expected, batch.lastOffset, await plan(fresh)),
    maxAttempts,
  );
}

/**
 * Like applyFenced, for services whose writes need their own script: `write` must store the
 * effects of `fresh` and compare-and-set the fence (key `fence.keyFor(topic, partition)`) from
 * `expected` to the batch's last offset atomically, returning false when the fence had moved.
 */
export async function applyFencedWith<R extends { offset: string }>(
  fence: OffsetFence,
  batch: FencedBatch<R>,
  write: (fresh: R[], expected: bigint | null) => Promise<boolean>,
  maxAttempts = 5,
): Promise<R[]> {
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const applied = await fence.read(batch.topic, batch.partition);
    if (applied !== null && applied >= BigInt(batch.lastOffset)) return [];
    const fresh = unappliedRecords(batch.records, applied);
    if (await write(fresh, applied)) return fresh;
  }
  throw new Error(`offset fence for ${batch.topic}/${batch.partition} kept moving; giving up this batch`);
}
