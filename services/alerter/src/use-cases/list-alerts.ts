import type { AlertStore } from "../adapters/alert-store.js";
import type { PagePosition } from "../adapters/sorted-set-pages.js";
import type { AlertRecord } from "../domain/alert.js";
import { type AlertQuery, matchesQuery } from "../domain/alert-query.js";
import type { AlertView } from "./get-alert.js";

/**
 * A page of the caller's alerts matching `query`, most recently changed first, after `after` (where
 * the previous page ended). The recency index holds every tenant's alerts, so it is scanned in
 * slices until the page is full or the index ends; `next` is null on the last page.
 */
export async function listAlerts(
  store: Pick<AlertStore, "listByRecency" | "getAcks">,
  query: AlertQuery,
  after: PagePosition | null,
  pageSize: number,
): Promise<{ alerts: AlertView[]; next: PagePosition | null }> {
  const { alerts, next } = await collectPage(store, query, after, pageSize);
  const acks = await store.getAcks(alerts.map((alert) => alert.fingerprint));
  return { alerts: alerts.map((alert) => ({ alert, ack: acks.get(alert.fingerprint) })), next };
}

async function collectPage(
  store: Pick<AlertStore, "listByRecency">,
  query: AlertQuery,
  after: PagePosition | null,
  pageSize: number,
): Promise<{ alerts: AlertRecord[]; next: PagePosition | null }> {
  const alerts: AlertRecord[] = [];
  let position = after;
  for (;;) {
    const rows = await store.listByRecency(position, pageSize);
    if (rows.length === 0) return { alerts, next: null };
    for (const row of rows) {
      position = row.position;
      if (row.alert && matchesQuery(row.alert, query)) alerts.push(row.alert);
      if (alerts.length === pageSize) return { alerts, next: position };
    }
  }
}
