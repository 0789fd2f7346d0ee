// How a line of an alert's history is stored in its list at `history:<fingerprint>` (decision 33):
// one-letter names, the time in milliseconds, the detail (a finding's summary, a note, a dead
// letter's reason) sealed with the list's key as context.
//
//   t at  a action  b actor  x detail, sealed (d when sealing is off)
//   n notification id  r receiver  h HTTP status
//
// The alerter's own delivery lines, one per notification and alert, name their action and actor
// by a number in `a` (deliveryActions) and have no `b`.
//
// Lines stored before (`at`, `action`, … by name, the detail sealed in `sealed`) are read as they were.
import { type EvidenceSealer, openFields } from "@argus/runtime";
import type { HistoryEntry } from "../../domain/history.js";
import { storedTime, timeOfStored } from "./stored-time.js";

/** Actions the alerter itself records on every delivery: `a` is the index plus one. Only add to it. */
const deliveryActions = ["notified", "notification_failed", "dead_lettered"] as const;
const alerterActor = "alerter";

interface CompactEntry {
  t: number | string;
  a: string | number;
  b?: string;
  x?: string;
  d?: string;
  n?: string;
  r?: string;
  h?: number;
}

export function encodeHistoryEntry(sealer: EvidenceSealer, key: string, entry: HistoryEntry): string {
  const { detail } = entry;
  const delivery = deliveryActions.indexOf(entry.action as (typeof deliveryActions)[number]);
  const stored: CompactEntry = {
    t: storedTime(entry.at),
    ...(delivery >= 0 && entry.actor === alerterActor
      ? { a: delivery + 1 }
      : { a: entry.action, b: entry.actor }),
    ...(detail === undefined ? {} : sealer.sealing ? { x: sealer.seal(detail, key) } : { d: detail }),
    ...(entry.notificationId === undefined ? {} : { n: entry.notificationId }),
    ...(entry.receiver === undefined ? {} : { r: entry.receiver }),
    ...(entry.httpStatus === undefined ? {} : { h: entry.httpStatus }),
  };
  return JSON.stringify(stored);
}

export function decodeHistoryEntry(sealer: EvidenceSealer, key: string, raw: string): HistoryEntry {
  const stored = JSON.parse(raw) as CompactEntry | Record<string, unknown>;
  if ("at" in stored) return openFields<HistoryEntry>(sealer, key, stored);
  const compact = stored as CompactEntry;
  const detail = compact.x === undefined ? compact.d : sealer.open(compact.x, key);
  return {
    at: timeOfStored(compact.t),
    action: typeof compact.a === "number" ? (deliveryActions[compact.a - 1] ?? "") : compact.a,
    actor: typeof compact.a === "number" ? alerterActor : (compact.b ?? ""),
    ...(detail === undefined ? {} : { detail }),
    ...(compact.n === undefined ? {} : { notificationId: compact.n }),
    ...(compact.r === undefined ? {} : { receiver: compact.r }),
    ...(compact.h === undefined ? {} : { httpStatus: compact.h }),
  };
}
