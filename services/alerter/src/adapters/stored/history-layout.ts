// How a line of an alert's history is stored in its list at `history:<fingerprint>` (decision 33):
//
//   [at (ms), action, actor, notification id, receiver, HTTP status]
//
// absent parts null, trailing ones left out; then, when the line has a detail (a finding's summary,
// a note, a dead letter's reason), a line break and "~" with the detail sealed with the list's key
// (sealed-text.ts), or "=" with the detail when sealing is off. The alerter's own delivery lines,
// one per notification and alert, give their action as a number (deliveryActions) and no actor:
// [at, action number, notification id, receiver, HTTP status].
//
// Lines stored before (a JSON object: `at`, `action`, … by name, the detail sealed in `sealed`) are
// read as they were.
import { type EvidenceSealer, openFields } from "@argus/runtime";
import type { HistoryEntry } from "../../domain/history.js";
import { sealedOfText, sealedToText } from "./sealed-text.js";
import { storedTime, timeOfStored } from "./stored-time.js";

/** Actions the alerter itself records on every delivery: a line's action is the index plus one. Only add. */
const deliveryActions = ["notified", "notification_failed", "dead_lettered"] as const;
const alerterActor = "alerter";

type CompactLine = [
  at: number | string,
  action: string | number,
  actor?: string | null,
  notificationId?: string | null,
  receiver?: string | null,
  httpStatus?: number | null,
];

export function encodeHistoryEntry(sealer: EvidenceSealer, key: string, entry: HistoryEntry): string {
  const delivery = deliveryActions.indexOf(entry.action as (typeof deliveryActions)[number]);
  const byAlerter = delivery >= 0 && entry.actor === alerterActor;
  const rest = [entry.notificationId ?? null, entry.receiver ?? null, entry.httpStatus ?? null];
  const line: (string | number | null)[] = byAlerter
    ? [storedTime(entry.at), delivery + 1, ...rest]
    : [storedTime(entry.at), entry.action, entry.actor, ...rest];
  while (line.length > 2 && line[line.length - 1] === null) line.pop();
  const { detail } = entry;
  if (detail === undefined) return JSON.stringify(line);
  const stored = sealer.sealing ? `~${sealedToText(sealer.seal(detail, key))}` : `=${detail}`;
  return `${JSON.stringify(line)}\n${stored}`;
}

export function decodeHistoryEntry(sealer: EvidenceSealer, key: string, raw: string): HistoryEntry {
  if (!raw.startsWith("[")) return openFields<HistoryEntry>(sealer, key, JSON.parse(raw));
  const end = raw.indexOf("\n");
  const line = JSON.parse(end < 0 ? raw : raw.slice(0, end)) as (string | number | null)[];
  // A delivery line has no actor: its other parts move up one.
  if (typeof line[1] === "number") line.splice(2, 0, null);
  const [at, action, actor, notificationId, receiver, httpStatus] = line as CompactLine;
  const stored = end < 0 ? undefined : raw.slice(end + 2);
  const detail =
    stored === undefined ? undefined : raw[end + 1] === "=" ? stored : sealer.open(sealedOfText(stored), key);
  return {
    at: timeOfStored(at),
    action: typeof action === "number" ? (deliveryActions[action - 1] ?? "") : action,
    actor: typeof action === "number" ? alerterActor : (actor ?? ""),
    ...(detail === undefined ? {} : { detail }),
    ...(notificationId == null ? {} : { notificationId }),
    ...(receiver == null ? {} : { receiver }),
    ...(httpStatus == null ? {} : { httpStatus }),
  };
}
