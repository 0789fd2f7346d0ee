import { randomBytes } from "node:crypto";
import { type GuardedCommand, runGuarded } from "./guarded-write.js";
import type { Redis } from "./redis.js";

/**
 * A name for the leases of one worker of one replica: 64 random bits never meet another of the few
 * workers that contend for a lease, and the name goes with every lease taken and checked (the
 * alerter names it four times per webhook), so it is 11 characters, not the 36 of a UUID.
 */
export function leaseOwner(): string {
  return randomBytes(8).toString("base64url");
}

/**
 * Takes `key` for `owner` for `ttlMs` unless someone holds it; true when taken. The lease ends on
 * its own after `ttlMs`, so a replica that dies holding it delays the work by `ttlMs` at most.
 */
export async function takeLease(redis: Redis, key: string, owner: string, ttlMs: number): Promise<boolean> {
  return (await redis.set(key, owner, "PX", ttlMs, "NX")) === "OK";
}

/** Another owner held the lease for longer than the caller would wait. */
export class LeaseBusyError extends Error {
  constructor(
    readonly lease: string,
    waitedMs: number,
  ) {
    super(`lease ${lease} is busy: another worker held it for more than ${waitedMs} ms; try again`);
    this.name = "LeaseBusyError";
  }
}

/** The lease expired while its plan ran and passed to another owner: nothing was written. */
export class LeaseLostError extends Error {
  constructor(readonly lease: string) {
    super(
      `lease ${lease} expired and passed to another worker before its writes: nothing written; try again`,
    );
    this.name = "LeaseLostError";
  }
}

export interface LeaseWait {
  /** How long to wait for another holder to release the lease before giving up (LeaseBusyError). */
  waitMs: number;
  /** How long the lease lasts once taken: longer than the plan takes to read and decide. */
  ttlMs: number;
  /** Pause between attempts to take it (default 50 ms). */
  retryMs?: number;
}

/** What a plan made under a lease decided: the writes the lease guards and what to return once written. */
export interface LeasedPlan<T> {
  commands: GuardedCommand[];
  result: T;
}

/**
 * Takes `lease` (waiting up to `waitMs` for its holder), runs `plan` while holding it, applies the
 * plan's commands atomically with a check that the lease is still this call's, and releases it.
 * The plan reads what it needs under the lease, so no other holder changes it between the read and
 * the write. Throws LeaseBusyError (never taken) or LeaseLostError (expired during the plan; nothing
 * written); both are safe to retry.
 */
export async function writeUnderLease<T>(
  redis: Redis,
  lease: string,
  wait: LeaseWait,
  plan: () => Promise<LeasedPlan<T>>,
): Promise<T> {
  const owner = leaseOwner();
  const deadline = Date.now() + wait.waitMs;
  while (!(await takeLease(redis, lease, owner, wait.ttlMs))) {
    if (Date.now() >= deadline) throw new LeaseBusyError(lease, wait.waitMs);
    await new Promise((resolve) => setTimeout(resolve, wait.retryMs ?? 50));
  }
  try {
    const { commands, result } = await plan();
    if (commands.length === 0) return result;
    if (!(await runGuarded(redis, { key: lease, expected: owner, commands })))
      throw new LeaseLostError(lease);
    return result;
  } finally {
    await releaseLease(redis, lease, owner);
  }
}

const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Drops a lease only if this owner still holds it (it may have expired and passed to another replica). */
export async function releaseLease(redis: Redis, key: string, owner: string): Promise<void> {
  await redis.eval(releaseScript, 1, key, owner);
}

/** Drops the leases this owner still holds, in one round trip (best effort: they expire anyway). */
export async function releaseLeases(redis: Redis, owner: string, leases: readonly string[]): Promise<void> {
  if (leases.length === 0) return;
  const pipeline = redis.pipeline();
  for (const lease of leases) pipeline.eval(releaseScript, 1, lease, owner);
  await pipeline.exec();
}

/** The writes one lease authorizes: applied only while the lease still holds its owner's value. */
export interface LeasedWrite {
  lease: string;
  commands: GuardedCommand[];
}

/**
 * Applies the writes of many leases held by `owner` in one script, one round trip and one copy of
 * the script for a whole pass, and releases each lease with its writes. Each lease's writes stay
 * atomic with its check: a lease that passed to another replica has its writes skipped (that
 * replica redoes the work), the others are written. A lost lease is not reported: runGuarded says
 * only whether its first guard held, so when the first one fails, the rest are tried again.
 *
 * When the script fails (a key of the wrong type), each lease is written alone, so one broken key
 * fails its own writes and not those of the whole pass. Returns the writes that failed (their
 * leases released) and the first error. Trying again is safe: writes that applied took their lease.
 */
export async function writeUnderLeases(
  redis: Redis,
  owner: string,
  writes: LeasedWrite[],
): Promise<{ failed: ReadonlySet<LeasedWrite>; error?: unknown }> {
  try {
    await writeTogether(redis, owner, writes);
    return { failed: new Set() };
  } catch (error) {
    // A single write has just failed alone; several are tried one by one to find the broken ones.
    const failed =
      writes.length === 1
        ? new Map([[writes[0] as LeasedWrite, error]])
        : await eachAlone(redis, owner, writes);
    await releaseLeases(
      redis,
      owner,
      [...failed.keys()].map((write) => write.lease),
    ).catch(() => {});
    const [first] = failed.values();
    return failed.size === 0 ? { failed: new Set() } : { failed: new Set(failed.keys()), error: first };
  }
}

/** Writes each lease's writes in a script of its own; the writes that failed, with their errors. */
async function eachAlone(
  redis: Redis,
  owner: string,
  writes: LeasedWrite[],
): Promise<Map<LeasedWrite, unknown>> {
  const failed = new Map<LeasedWrite, unknown>();
  for (const write of writes) {
    await writeTogether(redis, owner, [write]).catch((error: unknown) => failed.set(write, error));
  }
  return failed;
}

async function writeTogether(redis: Redis, owner: string, writes: LeasedWrite[]): Promise<void> {
  for (let rest = writes; rest.length > 0; rest = rest.slice(1)) {
    const [first, ...others] = rest as [LeasedWrite, ...LeasedWrite[]];
    const written = await runGuarded(redis, {
      key: first.lease,
      expected: owner,
      commands: andRelease(first),
      conditional: others.map((write) => ({
        when: { key: write.lease, equals: owner },
        commands: andRelease(write),
      })),
    });
    if (written) return;
  }
}

function andRelease(write: LeasedWrite): GuardedCommand[] {
  return [...write.commands, ["DEL", write.lease]];
}
