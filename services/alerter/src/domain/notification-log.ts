import type { Integration } from "./routing/config.js";

/**
 * What was last notified for one (group, integration): the alerts the receiver was told are firing
 * and resolved, and whether the group was then fully acknowledged. Alerts are fingerprints.
 */
export interface NotificationLogEntry {
  firing: string[];
  resolved: string[];
  acknowledged: boolean;
  sentAt: number;
  sequence: number;
}

export type NotifyReason =
  | "new"
  | "firing-changed"
  | "all-resolved"
  | "resolved-changed"
  | "repeat"
  | "acknowledged"
  | "unacknowledged";

export interface DedupOptions {
  sendResolved: boolean;
  repeatIntervalMs: number;
  now: number;
  /** The integration can show acknowledgement (e.g. update its message), so it is told about it. */
  supportsAcknowledge: boolean;
}

/**
 * Why the group must be notified now, or null when the receiver already knows everything worth
 * saying. Alertmanager's DedupStage decision, extended with acknowledgement. `firing` and
 * `resolved` are the alerts being notified, silenced and inhibited ones already left out.
 */
export function notifyReason(
  entry: NotificationLogEntry | undefined,
  firing: ReadonlySet<string>,
  resolved: ReadonlySet<string>,
  acknowledged: ReadonlySet<string>,
  options: DedupOptions,
): NotifyReason | null {
  if (!entry) return firing.size > 0 ? "new" : null;
  if (!isSubset(firing, new Set(entry.firing))) {
    // The last notification said everything resolved, so this opens a new episode for the receiver.
    return entry.firing.length === 0 ? "new" : "firing-changed";
  }
  if (firing.size === 0) {
    // Sent even without send_resolved, so the log stops listing alerts as firing; alerts that fired
    // and resolved between two notifications were never announced and are not worth a message.
    return entry.firing.length > 0 ? "all-resolved" : null;
  }
  if (options.sendResolved && !isSubset(resolved, new Set(entry.resolved))) return "resolved-changed";
  const allAcknowledged = isSubset(firing, acknowledged);
  if (options.supportsAcknowledge && allAcknowledged !== entry.acknowledged) {
    return allAcknowledged ? "acknowledged" : "unacknowledged";
  }
  // Someone owns every firing alert: reminding them is noise.
  if (allAcknowledged) return null;
  return entry.sentAt <= options.now - options.repeatIntervalMs ? "repeat" : null;
}

/** The entry to record once the notification decided by `notifyReason` has been sent. */
export function nextEntry(
  previous: NotificationLogEntry | undefined,
  firing: ReadonlySet<string>,
  resolved: ReadonlySet<string>,
  acknowledged: ReadonlySet<string>,
  now: number,
): NotificationLogEntry {
  return {
    // Sorted, so an unchanged group serializes to the same entry whatever the alerts' order.
    firing: [...firing].sort(),
    resolved: [...resolved].sort(),
    acknowledged: firing.size > 0 && isSubset(firing, acknowledged),
    sentAt: now,
    sequence: (previous?.sequence ?? 0) + 1,
  };
}

/**
 * What an entry keeps when its group ends: the notification numbering (a group that comes back never
 * reuses a `webhook-id`) and when it last notified; what was told is forgotten, so it comes back as new.
 */
export function endedEntry(entry: NotificationLogEntry): NotificationLogEntry {
  return { ...entry, firing: [], resolved: [], acknowledged: false };
}

function isSubset(subset: ReadonlySet<string>, of: ReadonlySet<string>): boolean {
  for (const item of subset) if (!of.has(item)) return false;
  return true;
}

/** A notification log field: receiver, integration type and index (Alertmanager's receiver key). */
export function logField(receiver: string, integration: Pick<Integration, "type">, index: number): string {
  return `${encodeURIComponent(receiver)}/${integration.type}/${index}`;
}
