import { type AlertRecord, resolveWithout } from "./alert.js";
import type { HistoryEntry } from "./history.js";

export interface Resolution {
  resolved: AlertRecord;
  entry: HistoryEntry;
}

/**
 * Ends a firing episode without a detector's word: `by` a principal, or the resolve timeout, with
 * the episode ending `at` (event time) and the history line written `now` (wall time). Null when
 * the alert is not firing.
 */
export function planResolution(
  alert: AlertRecord,
  by: string,
  at: Date,
  now: Date,
  note?: string,
): Resolution | null {
  const resolved = resolveWithout(alert, by, at);
  if (!resolved) return null;
  return {
    resolved,
    entry: { at: now.toISOString(), action: "resolved", actor: by, ...(note ? { detail: note } : {}) },
  };
}
