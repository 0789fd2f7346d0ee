import { createLogger, createRedis } from "@argus/runtime";
import { uniqueNamespace } from "@argus/testkit";
import { afterAll, describe, expect, inject, it } from "vitest";
import {
  membersAfter,
  type PagePosition,
  pageTokenOf,
  parsePageToken,
} from "../src/adapters/sorted-set-pages.js";

const redis = createRedis(inject("redisUrl"), createLogger("sorted-set-pages-test", "silent"));
afterAll(() => redis.quit());

/** Every member, page by page, running `between` after each page. */
async function pages(key: string, size: number, between: (page: number) => Promise<void>) {
  const seen: string[] = [];
  let after: PagePosition | null = null;
  for (let page = 0; ; page++) {
    const rows = await membersAfter(redis, key, after, size);
    if (rows.length === 0) return seen;
    seen.push(...rows.map((row) => row.member));
    after = rows[rows.length - 1] as PagePosition;
    // Through its token, as a client would send it back.
    after = parsePageToken(pageTokenOf(after), /^[a-z0-9-]+$/) ?? null;
    await between(page);
  }
}

describe("pages over a sorted set, newest first", () => {
  it("show every member that stays put once, while others arrive, move up or are pruned", async () => {
    const key = `${uniqueNamespace("pages")}:index`;
    for (let i = 0; i < 10; i++) await redis.zadd(key, 1_000 + i, `alert-${i}`);
    const seen = await pages(key, 3, async (page) => {
      if (page === 0) {
        await redis.zadd(key, 5_000, "alert-new"); // a new alert at the top
        await redis.zadd(key, 5_001, "alert-8"); // an alert already listed is updated
        await redis.zrem(key, "alert-9"); // one already listed expires
      }
      if (page === 1) await redis.zrem(key, "alert-1"); // one not yet listed expires
    });
    expect(seen).toEqual([
      "alert-9",
      "alert-8",
      "alert-7",
      "alert-6",
      "alert-5",
      "alert-4",
      "alert-3",
      "alert-2",
      "alert-0",
    ]);
  });

  it("pages through members that share a score", async () => {
    const key = `${uniqueNamespace("pages")}:index`;
    for (const member of ["m-a", "m-b", "m-c", "m-d", "m-e"]) await redis.zadd(key, 7, member);
    await redis.zadd(key, 3, "m-old");
    expect(await pages(key, 2, async () => {})).toEqual(["m-e", "m-d", "m-c", "m-b", "m-a", "m-old"]);
  });

  it("refuses a token that is not a position of this set's members", () => {
    expect(parsePageToken("12", /^[a-z-]+$/)).toBeUndefined();
    expect(parsePageToken("12~UPPER", /^[a-z-]+$/)).toBeUndefined();
    expect(parsePageToken("1700000000000~alert-x", /^[a-z-]+$/)).toEqual({
      score: 1_700_000_000_000,
      member: "alert-x",
    });
  });
});
