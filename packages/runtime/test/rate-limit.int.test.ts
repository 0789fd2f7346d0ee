import { uniqueNamespace } from "@argus/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type BucketLimit, RateLimiter, rateLimitKeyPrefix } from "../src/rate-limit.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("RateLimiter on real Redis", () => {
  const namespace = uniqueNamespace("ratelimit");
  // Two connections: two replicas of a service, each with its own limiter.
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
      const keys = await redis.keys(`${namespace}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await Promise.all([redis?.quit(), otherReplica?.quit()]);
  });

  /** Limiters of one test (its own key prefix) on both connections. */
  function limiters(defaultLimit: BucketLimit, classes?: Record<string, BucketLimit>) {
    const options = {
      keyPrefix: rateLimitKeyPrefix(`${namespace}-${++testIndex}`),
      defaultLimit,
      classes,
      classify: (method: string) => (method.endsWith("/Ingest") ? "ingest" : undefined),
    };
    return {
      limiter: new RateLimiter({ ...options, redis }),
      replica: new RateLimiter({ ...options, redis: otherReplica }),
    };
  }

  it("refuses a burst beyond capacity with a positive retry-after, and counts down what remains", async () => {
    const { limiter } = limiters({ capacity: 5, refillPerSecond: 2 });
    const decisions = [];
    for (let i = 0; i < 8; i++) decisions.push(await limiter.take("alice", "/argus.v1.Alerter/Ack"));
    expect(decisions.slice(0, 5)).toEqual(
      [4, 3, 2, 1, 0].map((remaining) => ({ allowed: true, retryAfterMs: 0, remaining })),
    );
    for (const refused of decisions.slice(5)) {
      expect(refused.allowed).toBe(false);
      expect(refused.remaining).toBe(0);
      // One token at 2 per second: at most 500 ms away.
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(500);
    }
  });

  it("keeps a bucket per principal and per method", async () => {
    const { limiter } = limiters({ capacity: 2, refillPerSecond: 0.01 });
    await limiter.take("alice", "/argus.v1.Alerter/Ack");
    await limiter.take("alice", "/argus.v1.Alerter/Ack");
    expect((await limiter.take("alice", "/argus.v1.Alerter/Ack")).allowed).toBe(false);
    expect(await limiter.take("bob", "/argus.v1.Alerter/Ack")).toEqual({
      allowed: true,
      retryAfterMs: 0,
      remaining: 1,
    });
    expect(await limiter.take("alice", "/argus.v1.Alerter/Silence")).toEqual({
      allowed: true,
      retryAfterMs: 0,
      remaining: 1,
    });
    // Names that contain the key separator cannot reach each other's buckets.
    expect(limiter.keyFor("a:b", "c")).not.toBe(limiter.keyFor("a", "b:c"));
    await limiter.take("a:b", "c", 2);
    expect((await limiter.take("a", "b:c", 2)).allowed).toBe(true);
  });

  it("gives tokens back after the refill time", async () => {
    const { limiter } = limiters({ capacity: 3, refillPerSecond: 10 });
    for (let i = 0; i < 3; i++) expect((await limiter.take("alice", "m")).allowed).toBe(true);
    const refused = await limiter.take("alice", "m");
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(100);
    await sleep(refused.retryAfterMs + 20);
    expect((await limiter.take("alice", "m")).allowed).toBe(true);
    // A full refill (0.3 s) restores the whole burst, and never more than the capacity.
    await sleep(600);
    const burst = [];
    for (let i = 0; i < 4; i++) burst.push((await limiter.take("alice", "m")).allowed);
    expect(burst).toEqual([true, true, true, false]);
  });

  it("shares one bucket between replicas, also under concurrent takes", async () => {
    const { limiter, replica } = limiters({ capacity: 10, refillPerSecond: 0.01 });
    expect((await limiter.take("alice", "m", 3)).remaining).toBe(7);
    expect((await replica.take("alice", "m", 3)).remaining).toBe(4);
    const decisions = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? limiter : replica).take("alice", "m")),
    );
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(4);
    expect((await replica.take("alice", "m")).allowed).toBe(false);
    expect((await limiter.take("alice", "m")).allowed).toBe(false);
  });

  it("sizes a method's bucket by its class", async () => {
    const { limiter } = limiters(
      { capacity: 2, refillPerSecond: 1 },
      // A slow refill: the two takes below may be far apart on a busy machine.
      { ingest: { capacity: 50, refillPerSecond: 0.01 } },
    );
    expect(limiter.limitFor("/argus.v1.Gateway/Ingest")).toEqual({ capacity: 50, refillPerSecond: 0.01 });
    expect((await limiter.take("svc", "/argus.v1.Gateway/Ingest", 40)).allowed).toBe(true);
    expect((await limiter.take("svc", "/argus.v1.Gateway/Ingest", 5)).remaining).toBe(5);
    expect(await limiter.take("svc", "/argus.v1.Gateway/Query", 2)).toMatchObject({
      allowed: true,
      remaining: 0,
    });
  });

  it("refuses a cost beyond the capacity and an unknown class, and peeks with cost 0", async () => {
    const { limiter } = limiters({ capacity: 2, refillPerSecond: 1 });
    await expect(limiter.take("alice", "m", 3)).rejects.toThrow(/exceeds the capacity 2/);
    await expect(limiter.take("alice", "m", -1)).rejects.toThrow(RangeError);
    expect(await limiter.take("alice", "m", 0)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 2 });
    // "/Ingest" is classified "ingest", which this limiter does not define.
    await expect(limiter.take("alice", "/x/Ingest")).rejects.toThrow(/unknown class ingest/);
    expect(
      () => new RateLimiter({ redis, keyPrefix: "x", defaultLimit: { capacity: 0, refillPerSecond: 1 } }),
    ).toThrow(/capacity/);
  });

  it("lets an idle bucket expire once it would be full again", async () => {
    const { limiter } = limiters({ capacity: 4, refillPerSecond: 2 });
    await limiter.take("alice", "m", 3);
    const ttl = await redis.pttl(limiter.keyFor("alice", "m"));
    // 3 tokens at 2 per second: full after 1.5 s, plus a second of slack.
    expect(ttl).toBeGreaterThan(2_000);
    expect(ttl).toBeLessThanOrEqual(2_500);
    const full = limiters({ capacity: 1, refillPerSecond: 1000 }).limiter;
    await full.take("alice", "m");
    await sleep(1_100);
    expect(await redis.exists(full.keyFor("alice", "m"))).toBe(0);
    expect(await full.take("alice", "m")).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
  });

  it("reloads its script when Redis lost it", async () => {
    const { limiter } = limiters({ capacity: 2, refillPerSecond: 1 });
    await limiter.take("alice", "m");
    await redis.script("FLUSH");
    expect(await limiter.take("alice", "m")).toMatchObject({ allowed: true, remaining: 0 });
  });
});
