import type { AlertStore } from "./alert-store.js";
import type { PagePosition } from "./sorted-set-pages.js";
import type { NotificationMetadata } from "./stored/notification-layout.js";

/**
 * Dead letters of the tenant, newest first, `pageSize` at most, after `after` (where a previous
 * page ended; see sorted-set-pages.ts for why a position and not an offset).
 */
export async function listDeadLetters(
  store: AlertStore,
  tenant: string,
  after: PagePosition | null,
  pageSize: number,
): Promise<{ items: NotificationMetadata[]; next: PagePosition | null }> {
  const items: NotificationMetadata[] = [];
  let position = after;
  for (;;) {
    const { rows, values } = await store.deadLetterPage(position, pageSize);
    if (rows.length === 0) return { items, next: null };
    for (const [index, value] of values.entries()) {
      position = rows[index] as PagePosition;
      if (value === null) continue;
      const item = store.parseNotificationMetadata(position.member, value);
      if (item.tenant === tenant) items.push(item);
      if (items.length === pageSize) return { items, next: position };
    }
  }
}
