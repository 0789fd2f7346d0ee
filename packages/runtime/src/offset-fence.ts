import type { Redis } from "ioredis";

import { type GuardedCommand, runGuarded } from "./guarded-write.js";
import { hashTag } from "./redis.js";

/** One write applied together with the fence: a Redis command whose first argument is its key. */
export type FencedCommand = GuardedCommand;

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
    return runGuarded(this.redis, {
      key: this.keyFor(topic, partition),
      expected: expected === null ? "" : expected.toString(),
      next: lastOffset,
      commands,
    });
  }
}

/**
 * The Redis Cluster hash tag of one input partition, `{<topic>:<partition>}`. The partition's offset
 * fence carries it, so state keys that carry it too live in the fence's slot and a batch's effects
 * and its fence can be written by one script on a Redis Cluster.
 */
export function partitionHashTag(topic: string, partition: number): string {
  return hashTag(`${topic}:${partition}`);
}

/**
 * The key of the offset fence of consumer group `groupId` on one partition, in a service's keyspace
 * (`key`, e.g. ServiceContext.key): `<prefix>:<service>:fence:<group>:{<topic>:<partition>}`.
 */
export function offsetFenceKey(
  key: (...parts: string[]) => string,
  groupId: string,
  topic: string,
  partition: number,
): string {
  return key("fence", groupId, partitionHashTag(topic, partition));
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
