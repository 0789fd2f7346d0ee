import { createLogger, createRedis, type Redis } from "@argus/runtime";
import { uniqueNamespace } from "@argus/testkit";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  LeaseBusyError,
  type LeasedWrite,
  LeaseLostError,
  releaseLease,
  takeLease,
  writeUnderLease,
  writeUnderLeases,
} from "../src/leases.js";

const namespace = uniqueNamespace("leases");
const key = (...parts: string[]) => [namespace, ...parts].join(":");
let redis: Redis;

beforeAll(async () => {
  redis = createRedis(inject("redisUrl"), createLogger("leases-test", "silent"));
  await redis.connect();
});

afterAll(async () => {
  await redis?.quit();
});

describe("a pass's writes under many leases, in one script (real Redis)", () => {
  const owner = "replica-a";

  /** Leases `names` for `holder`, and one write per lease that marks it done. */
  async function leased(holder: string, names: string[]): Promise<LeasedWrite[]> {
    for (const name of names) await redis.set(key("lease", name), holder, "PX", 30_000);
    return names.map((name) => ({ lease: key("lease", name), commands: [["SET", key("done", name), "1"]] }));
  }

  const done = (names: string[]) => Promise.all(names.map((name) => redis.get(key("done", name))));
  const leases = (names: string[]) => Promise.all(names.map((name) => redis.get(key("lease", name))));

  it("writes every lease still held and releases it; a lease another replica took keeps its state", async () => {
    const names = ["g1", "g2", "g3", "g4"];
    const writes = await leased(owner, names);
    // g1 (the script's own guard) and g3 passed to another replica meanwhile.
    await redis.set(key("lease", "g1"), "replica-b");
    await redis.set(key("lease", "g3"), "replica-b");

    const result = await writeUnderLeases(redis, owner, writes);

    expect(result.failed.size).toBe(0);
    expect(await done(names)).toEqual([null, "1", null, "1"]);
    expect(await leases(names)).toEqual(["replica-b", null, "replica-b", null]);
  });

  it("fails only the write whose key has the wrong type, and releases its lease", async () => {
    const names = ["h1", "h2", "h3"];
    const writes = await leased(owner, names);
    await redis.rpush(key("done", "h2"), "a list, not a string");

    const result = await writeUnderLeases(redis, owner, writes);

    expect([...result.failed].map((write) => write.lease)).toEqual([key("lease", "h2")]);
    expect(String(result.error)).toMatch(/WRONGTYPE/);
    expect(await done(["h1", "h3"])).toEqual(["1", "1"]);
    expect(await redis.lrange(key("done", "h2"), 0, -1)).toEqual(["a list, not a string"]);
    expect(await leases(names)).toEqual([null, null, null]);
  });
});

describe("one lease: take, wait for its holder, write under it, release (real Redis)", () => {
  it("lets one owner hold a lease until it releases it; a stranger's release leaves it", async () => {
    const lease = key("take");
    expect(await takeLease(redis, lease, "replica-a", 30_000)).toBe(true);
    expect(await takeLease(redis, lease, "replica-b", 30_000)).toBe(false);
    await releaseLease(redis, lease, "replica-b");
    expect(await takeLease(redis, lease, "replica-b", 30_000)).toBe(false);
    await releaseLease(redis, lease, "replica-a");
    expect(await takeLease(redis, lease, "replica-b", 30_000)).toBe(true);
  });

  it("waits for the holder's lease to end, then writes the plan's commands and releases the lease", async () => {
    const lease = key("wait");
    await redis.set(lease, "replica-b", "PX", 200);

    const result = await writeUnderLease(redis, lease, { waitMs: 30_000, ttlMs: 30_000 }, async () => ({
      commands: [["SET", key("wait", "done"), "1"]],
      result: "written",
    }));

    expect(result).toBe("written");
    expect(await redis.get(key("wait", "done"))).toBe("1");
    expect(await redis.exists(lease)).toBe(0);
  });

  it("gives up on a lease held longer than it may wait, without running the plan", async () => {
    const lease = key("busy");
    await redis.set(lease, "replica-b", "PX", 30_000);
    let planned = false;

    const attempt = writeUnderLease(redis, lease, { waitMs: 100, ttlMs: 30_000 }, async () => {
      planned = true;
      return { commands: [["SET", key("busy", "done"), "1"]], result: 1 };
    });

    await expect(attempt).rejects.toBeInstanceOf(LeaseBusyError);
    await expect(attempt).rejects.toThrow(lease);
    expect(planned).toBe(false);
    expect(await redis.get(lease)).toBe("replica-b");
  });

  it("writes nothing when the lease passed to another owner during the plan, and leaves that owner's lease", async () => {
    const lease = key("lost");

    const attempt = writeUnderLease(redis, lease, { waitMs: 0, ttlMs: 30_000 }, async () => {
      // As if the lease expired mid-plan and another replica took it.
      await redis.set(lease, "replica-b", "PX", 30_000);
      return { commands: [["SET", key("lost", "done"), "1"]], result: 1 };
    });

    await expect(attempt).rejects.toBeInstanceOf(LeaseLostError);
    expect(await redis.get(key("lost", "done"))).toBeNull();
    expect(await redis.get(lease)).toBe("replica-b");
  });

  it("releases the lease when the plan fails, so the next caller need not wait for it to expire", async () => {
    const lease = key("failed");

    const attempt = writeUnderLease(redis, lease, { waitMs: 0, ttlMs: 30_000 }, async () => {
      throw new Error("the plan could not read its state");
    });

    await expect(attempt).rejects.toThrow("the plan could not read its state");
    expect(await redis.exists(lease)).toBe(0);
  });
});
