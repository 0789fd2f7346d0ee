import type { Redis } from "ioredis";
import type { ProducerPort } from "../kafka-port.js";
import { keyspace } from "../redis.js";
import {
  type AuditChainItem,
  type AuditChainResult,
  AuditChainVerifier,
  type AuditEntry,
  auditGenesisHash,
  auditRecordFields,
  decodeAuditEntry,
  nextAuditRecord,
  type StoredAuditRecord,
} from "./chain.js";

/** The audit stream of a deployment: `<ARGUS_REDIS_PREFIX>:audit`, one chain for all services. */
export function auditStreamKey(redisPrefix: string): string {
  return keyspace(redisPrefix, "audit")();
}

// Compare-and-append. Redis Lua has no SHA-256 (only redis.sha1hex), and the hash belongs with the
// code that verifies it anyway, so the caller builds the next record against the tip it believes
// in, and this script appends it only if the stream's last record is still that tip: seq and hash
// are read and the entry written in one atomic step, so appenders on any number of replicas form
// one chain. When another appender got there first, the script answers the current tip instead of
// writing, and the caller rebuilds its record on it and tries again.
//
// A record deleted from the middle of the chain breaks the next link, but one deleted from the tail
// leaves a chain that looks whole, and the next append would link to the record before it, hiding
// the deletion for good. The stream's own counter `entries-added` (Redis 7+) still counts it, so the
// script refuses to append while the tip's seq is behind it; verify() reports the same.
//
// Replies: {'ok', id} | {'stale', tipSeq, tipHash}; an error for a tip that is not a record of
// ours or a tail that lost records.
const appendScript = `
local tipSeq, tipHash = 0, ARGV[1]
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'stream' then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  local last, added = nil, nil
  for i = 1, #info, 2 do
    if info[i] == 'last-entry' then last = info[i + 1] end
    if info[i] == 'entries-added' then added = tonumber(info[i + 1]) end
  end
  if last then
    local seq, hash = nil, nil
    local fields = last[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'seq' then seq = tonumber(fields[i + 1]) end
      if fields[i] == 'hash' then hash = fields[i + 1] end
    end
    if not seq or not hash then
      return redis.error_reply('AUDIT the last entry of ' .. KEYS[1] .. ' (' .. last[1] .. ') is not an audit record')
    end
    tipSeq, tipHash = seq, hash
  end
  if added and added ~= tipSeq then
    return redis.error_reply('AUDIT ' .. KEYS[1] .. ' had ' .. added .. ' entries added but its last record is seq ' .. tipSeq .. ': records were deleted from its tail')
  end
elseif kind ~= 'none' then
  return redis.error_reply('WRONGTYPE ' .. KEYS[1] .. ' holds a ' .. kind .. ', not a stream')
end
if tipHash ~= ARGV[3] or tipSeq + 1 ~= tonumber(ARGV[2]) then
  return { 'stale', tostring(tipSeq), tipHash }
end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
return { 'ok', redis.call('XADD', KEYS[1], '*', unpack(fields)) }
`;

export interface AuditLogOptions {
  redis: Redis;
  /** The stream, normally `auditStreamKey(config.ARGUS_REDIS_PREFIX)`. */
  key: string;
  /** Where every appended record is mirrored, as JSON keyed by seq (normally `topics.audit`). */
  mirror?: { producer: ProducerPort; topic: string };
  /** The clock of `at`; tests pass their own. */
  now?: () => Date;
  /** Compare-and-append attempts before append() gives up under contention. */
  maxAttempts?: number;
}

export interface AuditVerifyOptions {
  /** Entries read per XRANGE. */
  pageSize?: number;
  /** Called after every page with the number of entries checked so far. */
  onProgress?: (checked: number) => void;
}

/** The stream was tampered with in a way that stops appends (a record deleted from its tail). */
export class AuditLogError extends Error {
  override name = "AuditLogError";
}

/**
 * A tamper-evident, append-only audit log: a hash chain in a Redis stream (see chain.ts), shared by
 * every replica of every service of a deployment, mirrored to Kafka.
 *
 * Appends of one instance are serialized (they would only race each other for the tip); appends of
 * several instances are ordered by the compare-and-append script.
 */
export class AuditLog {
  readonly redis: Redis;
  readonly key: string;
  private readonly mirror: AuditLogOptions["mirror"];
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  /** The tip as last seen: a guess, corrected by the script when another appender moved it. */
  private tip: { seq: number; hash: string } | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: AuditLogOptions) {
    this.redis = options.redis;
    this.key = options.key;
    this.mirror = options.mirror;
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? 100;
  }

  /**
   * Appends a record to the chain, then mirrors it to Kafka; resolves with the stored record.
   * When the mirror fails, the record is stored all the same (Redis is the log) and the error says so.
   */
  append(entry: AuditEntry): Promise<StoredAuditRecord> {
    const result = this.queue.then(() => this.appendNow(entry));
    this.queue = result.catch(() => {});
    return result;
  }

  private async appendNow(entry: AuditEntry): Promise<StoredAuditRecord> {
    let stored: StoredAuditRecord | null = null;
    for (let attempt = 1; attempt <= this.maxAttempts && stored === null; attempt++) {
      const record = nextAuditRecord(this.tip, entry, this.now());
      let reply: string[];
      try {
        reply = (await this.redis.eval(
          appendScript,
          1,
          this.key,
          auditGenesisHash,
          record.seq,
          record.prev,
          ...auditRecordFields(record),
        )) as string[];
      } catch (error) {
        const message = (error as Error).message;
        if (message.startsWith("AUDIT ")) throw new AuditLogError(message.slice(6), { cause: error });
        throw error;
      }
      if (reply[0] === "ok") {
        stored = { ...record, id: reply[1] as string };
        this.tip = { seq: record.seq, hash: record.hash };
      } else {
        const seq = Number(reply[1]);
        this.tip = seq === 0 ? null : { seq, hash: reply[2] as string };
        // Another appender won the tip; after a few lost rounds in a row, let the others through.
        if (attempt >= 3) await new Promise((resolve) => setTimeout(resolve, Math.random() * attempt));
      }
    }
    if (stored === null) {
      throw new AuditLogError(`${this.key}: the tip kept moving; gave up after ${this.maxAttempts} attempts`);
    }
    if (this.mirror) {
      try {
        await this.mirror.producer.send({
          topic: this.mirror.topic,
          acks: -1,
          messages: [{ key: String(stored.seq), value: JSON.stringify(stored) }],
        });
      } catch (error) {
        throw new AuditLogError(
          `audit record seq ${stored.seq} (${stored.id}) is stored but was not mirrored to ${this.mirror.topic}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    return stored;
  }

  /** The entries of the stream in order, from the start, page by page (XRANGE). */
  async *entries(pageSize = 500): AsyncGenerator<AuditChainItem[]> {
    let start = "-";
    for (;;) {
      const page = await this.redis.xrange(this.key, start, "+", "COUNT", pageSize);
      if (page.length === 0) return;
      yield page.map(([id, fields]) => decodeAuditEntry(id, fields));
      if (page.length < pageSize) return;
      start = `(${(page[page.length - 1] as [string, string[]])[0]}`;
    }
  }

  /**
   * Reads the whole stream and verifies the chain (see verifyAuditChain), including that no record
   * was deleted from its tail (against the stream's `entries-added` counter).
   */
  async verify(options: AuditVerifyOptions = {}): Promise<AuditChainResult> {
    // Read before the entries: records appended meanwhile only make the chain longer than this.
    const lastSeq = await this.entriesAdded();
    const verifier = new AuditChainVerifier();
    let checked = 0;
    for await (const page of this.entries(options.pageSize)) {
      for (const item of page) verifier.push(item);
      checked += page.length;
      options.onProgress?.(checked);
    }
    return verifier.result(lastSeq === undefined ? {} : { lastSeq });
  }

  /** How many entries were ever added to the stream (Redis 7+); undefined without the stream. */
  private async entriesAdded(): Promise<number | undefined> {
    if ((await this.redis.type(this.key)) !== "stream") return undefined;
    const info = (await this.redis.xinfo("STREAM", this.key)) as unknown[];
    for (let i = 0; i + 1 < info.length; i += 2) {
      if (info[i] === "entries-added") return Number(info[i + 1]);
    }
    return undefined;
  }
}
