import { type LocalRedis, startLocalRedis } from "@argus/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGuarded } from "../src/guarded-write.js";

/** Calls of each command the server has run, from INFO commandstats. */
async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info("commandstats");
  return Object.fromEntries(
    [...info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)].map(([, name, calls]) => [name, Number(calls)]),
  );
}

// A server of its own: the test flushes its scripts and counts its commands.
describe("guarded writes on a Redis server of their own", () => {
  let server: LocalRedis | undefined;
  let redis: Redis;

  beforeAll(async () => {
    server = await startLocalRedis();
    redis = new Redis(server.url, { lazyConnect: true });
    await redis.connect();
  });

  afterAll(async () => {
    await redis?.quit();
    await server?.stop();
  });

  it("writes values with spaces and empty strings as they are, and skips a group whose condition moved", async () => {
    await redis.set("lease:b", "someone else");
    const written = await runGuarded(redis, {
      key: "lease:a",
      expected: "",
      commands: [
        ["HSET", "meta", "note", "two words", "empty", ""],
        ["ZADD", "due", "NX", 5, "item 1"],
      ],
      conditional: [
        { when: { key: "lease:b", equals: "me" }, commands: [["SET", "skipped", "x"]] },
        { when: { key: "lease:c", equals: "" }, commands: [["SADD", "members", "a b", ""]] },
      ],
    });
    expect(written).toBe(true);
    expect(await redis.hgetall("meta")).toEqual({ note: "two words", empty: "" });
    expect(await redis.zrange("due", 0, -1, "WITHSCORES")).toEqual(["item 1", "5"]);
    expect(await redis.exists("skipped")).toBe(0);
    expect((await redis.smembers("members")).sort()).toEqual(["", "a b"]);
  });

  it("keeps a capped list: the newest lines, expiring after the last push", async () => {
    for (let n = 1; n <= 5; n++) {
      expect(
        await runGuarded(redis, {
          key: "lease:log",
          expected: "",
          commands: [["LPUSH_CAPPED", "log", `line ${n}`, 3, 60_000]],
        }),
      ).toBe(true);
    }
    expect(await redis.lrange("log", 0, -1)).toEqual(["line 5", "line 4", "line 3"]);
    expect(await redis.pttl("log")).toBeGreaterThan(50_000);
    await redis.set("not-a-list", "x");
    await expect(
      runGuarded(redis, {
        key: "lease:log",
        expected: "",
        commands: [["LPUSH_CAPPED", "not-a-list", "y", 3, 1]],
      }),
    ).rejects.toThrow(/WRONGTYPE not-a-list holds a string, LPUSH needs a list/);
  });

  it("stores nothing when a key it writes has the wrong type, or when the guard moved", async () => {
    await redis.set("wrong", "a string");
    const failing = runGuarded(redis, {
      key: "fence",
      expected: "",
      next: "7",
      commands: [
        ["SET", "first", "1"],
        ["LPUSH", "wrong", "x"],
      ],
    });
    await expect(failing).rejects.toThrow(/WRONGTYPE wrong holds a string, LPUSH needs a list/);
    expect(await redis.exists("first", "fence")).toBe(0);

    expect(await runGuarded(redis, { key: "fence", expected: "3", commands: [["SET", "first", "1"]] })).toBe(
      false,
    );
    expect(await redis.exists("first")).toBe(0);
  });

  it("sends the script's text once, before a client's first write, and again only when the server lost it", async () => {
    await redis.script("FLUSH");
    await redis.config("RESETSTAT");
    const client = new Redis(server?.url ?? "", { lazyConnect: true });
    await client.connect();
    try {
      // The fence moves 0 → 1 → … → 5: each write must have run.
      const write = (n: number) =>
        runGuarded(client, {
          key: "fence:2",
          expected: n === 0 ? "" : String(n),
          next: String(n + 1),
          commands: [],
        });
      for (let n = 0; n < 5; n++) expect(await write(n)).toBe(true);
      // Loaded before the first write: no write was sent twice (EVALSHA, NOSCRIPT, then EVAL).
      expect(await commandCalls(redis)).toMatchObject({ "script|load": 1, evalsha: 5 });
      expect((await commandCalls(redis)).eval).toBeUndefined();

      await redis.script("FLUSH");
      expect(await write(5)).toBe(true);
      expect(await client.get("fence:2")).toBe("6");
      expect((await commandCalls(redis)).eval).toBe(1);
    } finally {
      await client.quit();
    }
  });
});
