import type { AlertStore } from "../adapters/alert-store.js";
import type { Acknowledgement, AlertRecord } from "../domain/alert.js";
import { NotFound } from "../domain/errors.js";
import type { HistoryEntry } from "../domain/history.js";
import type { Caller } from "./ports.js";
import { alertOfTenant } from "./tenant-alert.js";

/** An alert as on-call sees it: with its acknowledgement, when there is one. */
export interface AlertView {
  alert: AlertRecord;
  ack: Acknowledgement | undefined;
}

type Reads = Pick<AlertStore, "getAlert" | "getAcks" | "history">;

/** One of the caller's alerts with its acknowledgement and history. */
export async function getAlert(
  store: Reads,
  caller: Caller,
  fingerprint: string,
): Promise<AlertView & { history: HistoryEntry[] }> {
  const { alert } = await alertOfTenant(store, caller.tenant, fingerprint);
  const [acks, history] = await Promise.all([store.getAcks([fingerprint]), store.history(fingerprint)]);
  return { alert, ack: acks.get(fingerprint), history };
}

/** The alert as it is now, after the caller changed it (its tenant already checked). */
export async function alertViewAfterChange(store: Reads, fingerprint: string): Promise<AlertView> {
  const found = await store.getAlert(fingerprint);
  if (!found) throw new NotFound(`no alert with fingerprint ${fingerprint}`);
  const acks = await store.getAcks([fingerprint]);
  return { alert: found.alert, ack: acks.get(fingerprint) };
}
