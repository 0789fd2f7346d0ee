import type { Redis } from "@argus/runtime";

/**
 * Where a page over a sorted set read highest score first (the newest first) ended: its last
 * member and that member's score. Pages continue from a position, not an offset: members that come
 * in at the top, move up, or are pruned while on-call pages would shift offsets and show an item
 * twice or skip one.
 */
export interface PagePosition {
  score: number;
  member: string;
}

/** Up to `count` positions after `after` (from the top when null), highest score first; equal scores come members descending. */
export async function membersAfter(
  redis: Redis,
  key: string,
  after: PagePosition | null,
  count: number,
): Promise<PagePosition[]> {
  let skip = 0;
  if (after !== null) {
    // Members sharing `after`'s score come in descending order: those up to it were on a page.
    const ties = await redis.zrangebyscore(key, after.score, after.score);
    skip = ties.filter((member) => member >= after.member).length;
  }
  const flat = await redis.zrevrangebyscore(
    key,
    after === null ? "+inf" : after.score,
    "-inf",
    "WITHSCORES",
    "LIMIT",
    skip,
    count,
  );
  const positions: PagePosition[] = [];
  for (let i = 0; i < flat.length; i += 2)
    positions.push({ member: flat[i] as string, score: Number(flat[i + 1]) });
  return positions;
}

/** The page token of a position. */
export function pageTokenOf(position: PagePosition): string {
  return `${position.score}~${position.member}`;
}

/** The position in a page token, when it is one and its member has the set's shape; else undefined. */
export function parsePageToken(token: string, member: RegExp): PagePosition | undefined {
  const parsed = /^(-?\d{1,16})~(.+)$/.exec(token);
  if (!parsed || !member.test(parsed[2] as string)) return undefined;
  return { score: Number(parsed[1]), member: parsed[2] as string };
}
