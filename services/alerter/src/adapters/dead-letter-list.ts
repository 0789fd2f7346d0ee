import type { Notification } from "../domain/notification.js";
import type { AlertStore } from "./alert-store.js";

/** Where a page of dead letters ended: its last item's time (the dead-letter index's score) and id. */
export interface DeadLetterPosition {
  deadAtMs: number;
  id: string;
}

/**
 * Dead letters of the tenant, newest first, `pageSize` at most, after `after` (where a previous
 * page ended). Keyset, not offset: notifications dead-lettered while on-call pages come in at the
 * top, and with offsets they would shift the rest and show an item twice (or one page's items again
 * within one call, when other tenants' items made it read on).
 */
export async function listDeadLetters(
  store: AlertStore,
  tenant: string,
  after: DeadLetterPosition | null,
  pageSize: number,
): Promise<{ items: Notification[]; next: DeadLetterPosition | null }> {
  const items: Notification[] = [];
  let position = after;
  for (;;) {
    const rows = await positionsAfter(store, position, pageSize);
    if (rows.length === 0) return { items, next: null };
    const values = await store.redis.mget(rows.map((row) => store.itemKey(row.id)));
    for (const [index, value] of values.entries()) {
      position = rows[index] as DeadLetterPosition;
      if (value === null) continue;
      const item = JSON.parse(value) as Notification;
      if (item.tenant === tenant) items.push(item);
      if (items.length === pageSize) return { items, next: position };
    }
  }
}

/** Up to `count` dead-letter positions after `after`, newest first (equal times: ids descending). */
async function positionsAfter(
  store: AlertStore,
  after: DeadLetterPosition | null,
  count: number,
): Promise<DeadLetterPosition[]> {
  let skip = 0;
  if (after !== null) {
    // Items with the same time as `after` come in descending id order: those up to it were seen.
    const ties = await store.redis.zrangebyscore(store.deadKey, after.deadAtMs, after.deadAtMs);
    skip = ties.filter((id) => id >= after.id).length;
  }
  const flat = await store.redis.zrevrangebyscore(
    store.deadKey,
    after === null ? "+inf" : after.deadAtMs,
    "-inf",
    "WITHSCORES",
    "LIMIT",
    skip,
    count,
  );
  const rows: DeadLetterPosition[] = [];
  for (let i = 0; i < flat.length; i += 2)
    rows.push({ id: flat[i] as string, deadAtMs: Number(flat[i + 1]) });
  return rows;
}
