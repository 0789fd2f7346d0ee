import { uniqueNamespace } from "@argus/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applyFenced, type FencedCommand, OffsetFence, unappliedRecords } from "../src/offset-fence.js";

interface Rec {
  offset: string;
}

const records = (from: number, to: number): Rec[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ offset: String(from + i) }));

describe("offset fence on real Redis", () => {
  const namespace = uniqueNamespace("fence");
  // Two connections: two replicas of a detector that both hold the same partition for a moment.
  let redis: Redis;
  let otherReplica: Redis;
  let testIndex = 0;

  beforeAll(async () => {
    redis = new Redis(inject("redisUrl"), { lazyConnect: true });
    otherReplica = new Redis(inject("redisUrl"), { lazyConnect: true });
    await Promise.all([redis.connect(), otherReplica.connect()]);
  });

  afterAll(async () => {
    if (redis) {
      const keys = await redis.keys(`${namespace}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await Promise.all([redis?.quit(), otherReplica?.quit()]);
  });

  /** Keys of one test: its own partition fence and its own counter hash. */
  function scope() {
    const id = `${namespace}:${++testIndex}`;
    const fenceKey = (topic: string, partition: number) => `${id}:fence:{${topic}}:${partition}`;
    return {
      counts: `${id}:counts`,
      total: `${id}:total`,
      fenceKey,
      fence: new OffsetFence(redis, fenceKey),
      otherFence: new OffsetFence(otherReplica, fenceKey),
    };
  }

  /** A plan that counts every record it is given once, by offset, plus a total. */
  const countingPlan =
    (counts: string, total: string, calls: Rec[][] = []) =>
    async (fresh: Rec[]): Promise<FencedCommand[]> => {
      calls.push(fresh);
      return [
        ...fresh.map((record): FencedCommand => ["HINCRBY", counts, record.offset, 1]),
        ["INCRBY", total, fresh.length],
      ];
    };

  async function countsOf(key: string): Promise<Record<string, number>> {
    const raw = await redis.hgetall(key);
    return Object.fromEntries(Object.entries(raw).map(([field, value]) => [field, Number(value)]));
  }

  const ones = (from: number, to: number) =>
    Object.fromEntries(records(from, to).map((record) => [record.offset, 1]));

  it("reads null for a partition nothing was applied to", async () => {
    const { fence } = scope();
    expect(await fence.read("argus.inference.v1", 0)).toBeNull();
  });

  it("applies a batch once and moves the fence to its last offset", async () => {
    const { fence, counts, total } = scope();
    const batch = { topic: "inference", partition: 0, records: records(0, 4), lastOffset: "4" };
    const applied = await applyFenced(fence, batch, countingPlan(counts, total));
    expect(applied.map((record) => record.offset)).toEqual(["0", "1", "2", "3", "4"]);
    expect(await countsOf(counts)).toEqual(ones(0, 4));
    expect(await redis.get(total)).toBe("5");
    expect(await fence.read("inference", 0)).toBe(4n);
    // Fences are per partition.
    expect(await fence.read("inference", 1)).toBeNull();
  });

  it("changes nothing when the same batch is replayed, and does not even plan it", async () => {
    const { fence, counts, total } = scope();
    const batch = { topic: "inference", partition: 0, records: records(0, 4), lastOffset: "4" };
    await applyFenced(fence, batch, countingPlan(counts, total));
    const calls: Rec[][] = [];
    expect(await applyFenced(fence, batch, countingPlan(counts, total, calls))).toEqual([]);
    expect(calls).toEqual([]);
    expect(await countsOf(counts)).toEqual(ones(0, 4));
    expect(await redis.get(total)).toBe("5");
    expect(await fence.read("inference", 0)).toBe(4n);
  });

  it("applies only the records above the fence when a batch overlaps it", async () => {
    const { fence, counts, total } = scope();
    await applyFenced(
      fence,
      { topic: "t", partition: 2, records: records(0, 4), lastOffset: "4" },
      countingPlan(counts, total),
    );
    const calls: Rec[][] = [];
    const applied = await applyFenced(
      fence,
      { topic: "t", partition: 2, records: records(3, 7), lastOffset: "7" },
      countingPlan(counts, total, calls),
    );
    expect(applied.map((record) => record.offset)).toEqual(["5", "6", "7"]);
    expect(calls.map((fresh) => fresh.map((record) => record.offset))).toEqual([["5", "6", "7"]]);
    expect(await countsOf(counts)).toEqual(ones(0, 7));
    expect(await redis.get(total)).toBe("8");
    expect(await fence.read("t", 2)).toBe(7n);
  });

  it("moves the fence over dead-lettered records at the end of a batch", async () => {
    const { fence, counts, total } = scope();
    // Offsets 1 and 3 went to the dead-letter topic: the batch covers 0..3 but carries 0 and 2.
    const batch = { topic: "t", partition: 0, records: [{ offset: "0" }, { offset: "2" }], lastOffset: "3" };
    await applyFenced(fence, batch, countingPlan(counts, total));
    expect(await fence.read("t", 0)).toBe(3n);
    expect(await countsOf(counts)).toEqual({ "0": 1, "2": 1 });
    const next = await applyFenced(
      fence,
      { topic: "t", partition: 0, records: records(2, 5), lastOffset: "5" },
      countingPlan(counts, total),
    );
    expect(next.map((record) => record.offset)).toEqual(["4", "5"]);
  });

  it("applies each record once when two replicas apply the same batch with different plans at once", async () => {
    const { fence, otherFence, counts } = scope();
    const batch = { topic: "t", partition: 0, records: records(0, 9), lastOffset: "9" };
    // Both plans wait until both replicas have read the fence and planned: a real race on the CAS.
    let arrived = 0;
    let release: () => void = () => {};
    const bothPlanned = new Promise<void>((resolve) => {
      release = resolve;
    });
    const plan =
      (replica: string) =>
      async (fresh: Rec[]): Promise<FencedCommand[]> => {
        if (++arrived === 2) release();
        await bothPlanned;
        return [
          ...fresh.map((record): FencedCommand => ["HINCRBY", counts, record.offset, 1]),
          ["SADD", `${counts}:writers`, replica],
        ];
      };
    const [byA, byB] = await Promise.all([
      applyFenced(fence, batch, plan("A")),
      applyFenced(otherFence, batch, plan("B")),
    ]);
    expect(arrived).toBeGreaterThanOrEqual(2);
    // Exactly one replica stored the batch; the other saw the fence move and stored nothing.
    expect([byA.length, byB.length].sort()).toEqual([0, 10]);
    expect(await countsOf(counts)).toEqual(ones(0, 9));
    expect(await redis.smembers(`${counts}:writers`)).toEqual([byA.length > 0 ? "A" : "B"]);
    expect(await fence.read("t", 0)).toBe(9n);
  });

  it("applies each record once when replicas race with overlapping batches", async () => {
    const { fence, otherFence, counts, total } = scope();
    let arrived = 0;
    let release: () => void = () => {};
    const allPlanned = new Promise<void>((resolve) => {
      release = resolve;
    });
    const racingPlan = async (fresh: Rec[]): Promise<FencedCommand[]> => {
      if (++arrived === 2) release();
      await allPlanned;
      return countingPlan(counts, total)(fresh);
    };
    const [low, high] = await Promise.all([
      applyFenced(fence, { topic: "t", partition: 0, records: records(0, 9), lastOffset: "9" }, racingPlan),
      applyFenced(
        otherFence,
        { topic: "t", partition: 0, records: records(5, 14), lastOffset: "14" },
        racingPlan,
      ),
    ]);
    const stored = [...low, ...high].map((record) => Number(record.offset)).sort((a, b) => a - b);
    // Whoever lost re-planned against the new fence: no offset stored twice, none of 5..14 lost.
    expect(new Set(stored).size).toBe(stored.length);
    expect(stored).toEqual(expect.arrayContaining(records(5, 14).map((record) => Number(record.offset))));
    const countsNow = await countsOf(counts);
    expect(Object.values(countsNow).every((count) => count === 1)).toBe(true);
    expect(Number(await redis.get(total))).toBe(stored.length);
    expect(await fence.read("t", 0)).toBe(14n);
  });

  it("keeps exactly-once under many replicas replaying random windows of a partition", async () => {
    const { fenceKey, counts, total } = scope();
    const replicas = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const connection = new Redis(inject("redisUrl"), { lazyConnect: true });
        await connection.connect();
        return connection;
      }),
    );
    try {
      const windows = Array.from({ length: 30 }, (_, i) => {
        const from = Math.floor(i * 3 + Math.random() * 10);
        return { from, to: from + 1 + Math.floor(Math.random() * 15) };
      });
      await Promise.all(
        windows.map(({ from, to }, i) =>
          applyFenced(
            new OffsetFence(replicas[i % replicas.length] as Redis, fenceKey),
            { topic: "t", partition: 0, records: records(from, to), lastOffset: String(to) },
            countingPlan(counts, total),
            50,
          ),
        ),
      );
      const countsNow = await countsOf(counts);
      expect(Object.values(countsNow).every((count) => count === 1)).toBe(true);
      expect(Number(await redis.get(total))).toBe(Object.keys(countsNow).length);
      const highest = Math.max(...windows.map((window) => window.to));
      expect(await new OffsetFence(redis, fenceKey).read("t", 0)).toBe(BigInt(highest));
    } finally {
      await Promise.all(replicas.map((connection) => connection.quit()));
    }
  });

  it("fails the compare-and-set, writing nothing, when the expected fence is stale", async () => {
    const { fence, counts } = scope();
    expect(await fence.apply("t", 0, null, "4", [["HINCRBY", counts, "a", 1]])).toBe(true);
    // Another replica moved the fence to 9.
    expect(await fence.apply("t", 0, 4n, "9", [["HINCRBY", counts, "b", 1]])).toBe(true);
    expect(
      await fence.apply("t", 0, 4n, "12", [
        ["HINCRBY", counts, "c", 1],
        ["SET", `${counts}:x`, "1"],
      ]),
    ).toBe(false);
    expect(await fence.apply("t", 0, null, "12", [["HINCRBY", counts, "c", 1]])).toBe(false);
    expect(await fence.read("t", 0)).toBe(9n);
    expect(await countsOf(counts)).toEqual({ a: 1, b: 1 });
    expect(await redis.exists(`${counts}:x`)).toBe(0);
  });

  it("runs every kind of write it allows, several on one key, with their arguments in order", async () => {
    const { fence, counts } = scope();
    const zset = `${counts}:z`;
    const set = `${counts}:s`;
    const ok = await fence.apply("t", 0, null, "0", [
      ["HSET", counts, "name", "credit-risk", "version", "7"],
      ["HINCRBY", counts, "seen", 5],
      ["HINCRBY", counts, "seen", -2],
      ["HDEL", counts, "version"],
      ["ZADD", zset, 2, "b", 1, "a"],
      ["ZREM", zset, "b"],
      ["SADD", set, "x", "y"],
      ["SET", `${counts}:plain`, "v"],
      ["DEL", `${counts}:plain`],
      ["INCRBY", `${counts}:n`, 3],
      ["PEXPIRE", set, 60_000],
    ]);
    expect(ok).toBe(true);
    expect(await redis.hgetall(counts)).toEqual({ name: "credit-risk", seen: "3" });
    expect(await redis.zrange(zset, 0, -1, "WITHSCORES")).toEqual(["a", "1"]);
    expect((await redis.smembers(set)).sort()).toEqual(["x", "y"]);
    expect(await redis.exists(`${counts}:plain`)).toBe(0);
    expect(await redis.get(`${counts}:n`)).toBe("3");
    const ttl = await redis.pttl(set);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("gives up with an error naming the partition when the fence keeps moving under it", async () => {
    const { fence, fenceKey, counts, total } = scope();
    let moves = 0;
    const plan = async (fresh: Rec[]) => {
      // Another replica applies a little more every time this one has planned.
      await otherReplica.set(fenceKey("t", 3), String(moves++));
      return countingPlan(counts, total)(fresh);
    };
    await expect(
      applyFenced(fence, { topic: "t", partition: 3, records: records(0, 99), lastOffset: "99" }, plan, 3),
    ).rejects.toThrow("offset fence for t/3 kept moving");
    expect(moves).toBe(3);
    expect(await redis.exists(counts)).toBe(0);
  });

  it("unappliedRecords keeps only records above the fence", () => {
    expect(unappliedRecords(records(0, 3), null).map((record) => record.offset)).toEqual([
      "0",
      "1",
      "2",
      "3",
    ]);
    expect(unappliedRecords(records(0, 3), 1n).map((record) => record.offset)).toEqual(["2", "3"]);
    // Offsets compare as numbers, not strings ("10" > "9").
    expect(unappliedRecords(records(8, 11), 9n).map((record) => record.offset)).toEqual(["10", "11"]);
  });

  it("writes nothing at all when one command of the batch would fail half-way (wrong key type)", async () => {
    const { counts, fence, fenceKey } = scope();
    const clash = `${counts}:clash`;
    await redis.hset(clash, "field", "1");
    const failing: FencedCommand[] = [
      ["HINCRBY", counts, "0", 1],
      ["SET", clash, "overwrites a hash"],
    ];
    await expect(fence.apply("inference", 0, null, "0", failing)).rejects.toThrow(/WRONGTYPE/);
    expect(await redis.exists(counts)).toBe(0);
    expect(await redis.get(fenceKey("inference", 0))).toBeNull();
  });
});
