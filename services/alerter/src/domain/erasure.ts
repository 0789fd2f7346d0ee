import { createHash } from "node:crypto";
import type { AlertRecord } from "./alert.js";
import type { NotificationLogEntry } from "./notification-log.js";

/** What an erased client's evidence is replaced with in an alert about a model that stays. */
export const redactedSummary = "(redacted: the client this evidence came from was erased)";

/** What EraseClient removed and redacted. */
export interface ClientErasure {
  keysRemoved: number;
  alertsRemoved: number;
  alertsRedacted: number;
  notificationsRemoved: number;
}

/**
 * What erasure decides on: labels and client only, so an alert stored sealed is judged without
 * opening it (its evidence is then absent, and `clientId` says where it came from).
 */
export interface ErasureCandidate {
  labels?: Record<string, string>;
  clientId?: string;
  evidence?: Record<string, string>;
}

/** The alert is about the client (its labels name it): it goes, with everything that speaks of it. */
export function isAboutClient(alert: ErasureCandidate, clientId: string): boolean {
  return alert.labels?.client === clientId;
}

/** Its summary and evidence came from the client: they are redacted, the alert (about a model) stays. */
export function cameFromClient(alert: ErasureCandidate, clientId: string): boolean {
  return alert.clientId === clientId || alert.evidence?.client === clientId;
}

/** The alert with what came from the client redacted; null when nothing of it does (any more). */
export function redactClient(alert: AlertRecord, clientId: string): AlertRecord | null {
  if (!cameFromClient(alert, clientId)) return null;
  const { clientId: _client, ...rest } = alert;
  // The sample may hold the client's event ids too; which ones is not known, so none stay.
  const episode = { ...alert.episode, firstEventIds: [], latestEventIds: [] };
  return { ...rest, summary: redactedSummary, evidence: {}, episode };
}

/**
 * How a group changes when erased alerts leave it: a group left without alerts ends (its log
 * scrubbed, its numbering kept); otherwise the leaving alerts go and the log entries that named
 * them are rewritten without them.
 */
export type GroupScrub =
  | { end: true; log: Map<string, NotificationLogEntry> }
  | { end: false; leaving: string[]; changed: Map<string, NotificationLogEntry> };

export function scrubGroup(
  members: readonly string[],
  log: ReadonlyMap<string, NotificationLogEntry>,
  erased: ReadonlySet<string>,
): GroupScrub {
  const scrubbed = new Map(
    [...log].map(([field, entry]) => [
      field,
      {
        ...entry,
        firing: entry.firing.filter((fp) => !erased.has(fp)),
        resolved: entry.resolved.filter((fp) => !erased.has(fp)),
      },
    ]),
  );
  const leaving = members.filter((fp) => erased.has(fp));
  if (leaving.length > 0 && leaving.length === members.length) return { end: true, log: scrubbed };
  const changed = new Map(
    [...scrubbed].filter(([field, entry]) => {
      const before = log.get(field) as NotificationLogEntry;
      return entry.firing.length !== before.firing.length || entry.resolved.length !== before.resolved.length;
    }),
  );
  return { end: false, leaving, changed };
}

/**
 * Only a queue's head is sent: when the head (`head` is the queue's first two) is removed, the one
 * after it must become due; undefined when nothing needs waking.
 */
export function nextDueAfterRemoving(id: string, head: readonly string[]): string | undefined {
  return head[0] === id ? head[1] : undefined;
}

/** How the audit log names an erased client: by digest, so the log does not keep what was erased. */
export function erasedClientTarget(clientId: string): string {
  return `client-sha256:${createHash("sha256").update(clientId, "utf8").digest("hex")}`;
}

export function erasureAuditDetail(erasure: ClientErasure): Record<string, string> {
  return {
    keys_removed: String(erasure.keysRemoved),
    alerts_removed: String(erasure.alertsRemoved),
    alerts_redacted: String(erasure.alertsRedacted),
    notifications_removed: String(erasure.notificationsRemoved),
  };
}
