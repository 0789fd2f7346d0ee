import { createLogger, createRedis, type Redis } from "@argus/runtime";
import { uniqueNamespace } from "@argus/testkit";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type LeasedWrite, writeUnderLeases } from "../src/leases.js";

describe("a pass's writes under many leases, in one script (real Redis)", () => {
  const namespace = uniqueNamespace("leases");
  const key = (...parts: string[]) => [namespace, ...parts].join(":");
  const owner = "replica-a";
  let redis: Redis;

  beforeAll(async () => {
    redis = createRedis(inject("redisUrl"), createLogger("leases-test", "silent"));
    await redis.connect();
  });

  afterAll(async () => {
    await redis?.quit();
  });

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
