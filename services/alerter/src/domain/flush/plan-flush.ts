import { type Acknowledgement, type AlertRecord, isAcknowledged } from "../alert.js";
import { type Notification, notificationId, queueId } from "../notification.js";
import { logField, type NotificationLogEntry, nextEntry, notifyReason } from "../notification-log.js";
import { notificationBody, supportsAcknowledge } from "../payloads.js";
import type { AlerterRoutingConfig, ReceiverConfig } from "../routing/config.js";
import { findRoute, type Route } from "../routing/route.js";
import { isRouteMuted } from "../routing/time-intervals.js";
import { type FlushMutes, shownAlerts } from "./shown-alerts.js";

/** A routing group as a flush finds it. */
export interface FlushGroup {
  gid: string;
  /** Absent when the group is gone (it ended; at most the hold on its next flush is left). */
  groupKey: string | undefined;
  routeKey: string | undefined;
  tenant: string;
  groupLabels: Record<string, string>;
  /** The group's next regular flush, before which only acknowledgement news goes out; 0 before its first. */
  regularAt: number;
  /** When it last flushed at its regular time; 0 before its first regular flush. */
  flushedAt: number;
  /** Fingerprints of its alerts. */
  members: readonly string[];
  /** What each integration was last told, by `logField`; it outlives the group (numbering, holds). */
  log: ReadonlyMap<string, NotificationLogEntry>;
}

export interface FlushInput {
  group: FlushGroup;
  /** The members' alerts that still exist (a resolved alert expires after its retention). */
  alerts: readonly AlertRecord[];
  acks: ReadonlyMap<string, Acknowledgement>;
  mutes: FlushMutes;
  /** The configuration in force: the group's route and receiver, inhibit rules, time intervals. */
  routing: Pick<
    AlerterRoutingConfig,
    "route" | "receivers" | "inhibitRules" | "timeIntervals" | "externalUrl"
  >;
  now: Date;
}

/** What becomes of the group after the flush. */
export type FlushNext =
  /** Flushed before its regular time (woken by an acknowledgement): flush again at `at`, as planned. */
  | { type: "early"; at: number }
  /**
   * A new group whose key notified less than group_interval ago (an earlier group that ended): its
   * first regular flush is `until`, group_interval after that notification.
   */
  | { type: "held"; until: number }
  /** A regular flush: the next one is group_interval later, at `at`. */
  | { type: "regular"; at: number }
  /** The group ends; `log` (what was told, and the notification numbering) outlives it. */
  | { type: "end"; log: ReadonlyMap<string, NotificationLogEntry> };

export interface FlushPlan {
  /** To queue, in the outbox (without trace context: the flusher adds it). */
  notifications: Notification[];
  /** Notification-log entries that changed, by field. */
  logUpdates: Map<string, NotificationLogEntry>;
  /** Members that leave the group (resolved ones after they were reported, and expired ones). */
  leaving: string[];
  next: FlushNext;
}

/**
 * One flush of an aggregation group, decided without I/O (Alertmanager's aggregation group and its
 * notification pipeline): which alerts are shown (silences, inhibition), whether the route's time
 * intervals mute it, and for each integration of its receiver whether the notification log says
 * there is news. Before the group's regular time only acknowledgement news goes out.
 *
 * After a regular flush, resolved alerts leave (they were reported); a group left empty ends.
 *
 * Unlike Alertmanager, a group that forms again less than group_interval after its key last
 * notified is held until group_interval has passed (see `holdUntil`): an incident that resolves and
 * comes back minutes later is an update at the next tick, not a new notification after group_wait,
 * so it sends at most one notification per group_interval (acknowledgement news aside) however it
 * flaps. What fired and resolved while it was held is told then as resolved (with send_resolved):
 * the hold kept it back, not its brevity.
 */
export function planFlush(input: FlushInput): FlushPlan {
  const { group, routing, now } = input;
  const route = group.routeKey === undefined ? undefined : findRoute(routing.route, group.routeKey);
  if (!route || group.groupKey === undefined) {
    // The route is gone (configuration reloaded; its alerts were regrouped then) or the group is.
    return { notifications: [], logUpdates: new Map(), leaving: [], next: { type: "end", log: group.log } };
  }
  const groupKey = group.groupKey;
  const at = now.getTime();
  const receiver = routing.receivers.get(route.receiver);
  if (group.regularAt === 0) {
    const until = holdUntil(group.log, receiver, route.groupIntervalMs);
    if (until > at)
      return { notifications: [], logUpdates: new Map(), leaving: [], next: { type: "held", until } };
  }
  const regular = at >= group.regularAt;
  // The first regular flush of a group that was held (only a hold gives a group a time before it flushed).
  const wasHeld = regular && group.regularAt > 0 && group.flushedAt === 0;
  const { alerts } = input;
  const acknowledged = new Set(
    alerts
      .filter((alert) => isAcknowledged(alert, input.acks.get(alert.fingerprint)))
      .map((a) => a.fingerprint),
  );
  const shown = shownAlerts(alerts, input.mutes, routing.inhibitRules, now);
  const told =
    receiver && shown.length > 0 && !isRouteMuted(route, routing.timeIntervals, now)
      ? tell(receiver, { group, groupKey, route, shown, acknowledged, regular, wasHeld, routing, now })
      : { notifications: [], logUpdates: new Map<string, NotificationLogEntry>() };
  const { notifications, logUpdates } = told;
  if (!regular)
    return { notifications, logUpdates, leaving: [], next: { type: "early", at: group.regularAt } };
  const present = new Set(alerts.map((alert) => alert.fingerprint));
  const leaving = [
    ...alerts.filter((alert) => alert.state === "resolved").map((alert) => alert.fingerprint),
    ...group.members.filter((fingerprint) => !present.has(fingerprint)),
  ];
  if (leaving.length === group.members.length) {
    return {
      notifications,
      logUpdates,
      leaving,
      next: { type: "end", log: new Map([...group.log, ...logUpdates]) },
    };
  }
  return { notifications, logUpdates, leaving, next: { type: "regular", at: at + route.groupIntervalMs } };
}

/** What one flush of a group knows when it tells its receiver. */
interface Telling {
  group: FlushGroup;
  groupKey: string;
  route: Route;
  /** The alerts to report (silences and inhibition applied), firing and resolved. */
  shown: readonly AlertRecord[];
  acknowledged: ReadonlySet<string>;
  /** At or after the group's regular time: anything may go out, not only acknowledgement news. */
  regular: boolean;
  /** The first regular flush of a group that was held. */
  wasHeld: boolean;
  routing: FlushInput["routing"];
  now: Date;
}

/**
 * For each integration of the receiver, whether the notification log says there is news, and the
 * notification and log entry if so. Keyed per receiver and integration, as Alertmanager keys its
 * log: a receiver that takes a route over on reload has been told nothing yet.
 */
function tell(
  receiver: ReceiverConfig,
  telling: Telling,
): { notifications: Notification[]; logUpdates: Map<string, NotificationLogEntry> } {
  const { group, groupKey, route, shown, acknowledged, now } = telling;
  const at = now.getTime();
  const firing = new Set(shown.filter((a) => a.state === "firing").map((a) => a.fingerprint));
  const resolved = new Set(shown.filter((a) => a.state === "resolved").map((a) => a.fingerprint));
  const notifications: Notification[] = [];
  const logUpdates = new Map<string, NotificationLogEntry>();
  receiver.integrations.forEach((integration, index) => {
    const field = logField(receiver.name, integration, index);
    const entry = group.log.get(field);
    const reason =
      notifyReason(entry, firing, resolved, acknowledged, {
        sendResolved: integration.sendResolved,
        repeatIntervalMs: route.repeatIntervalMs,
        now: at,
        supportsAcknowledge: supportsAcknowledge(integration),
      }) ?? (telling.wasHeld && integration.sendResolved && resolved.size > 0 ? "resolved-changed" : null);
    if (!reason || (!telling.regular && reason !== "acknowledged" && reason !== "unacknowledged")) return;
    const next = nextEntry(entry, firing, resolved, acknowledged, at);
    logUpdates.set(field, next);
    const body = notificationBody(integration, {
      receiver: receiver.name,
      groupKey,
      groupLabels: group.groupLabels,
      alerts: shown,
      acknowledged,
      reason,
      externalUrl: telling.routing.externalUrl,
      now,
    });
    // Nothing this integration sends (e.g. only resolved alerts, send_resolved off): logged all the same.
    if (body === null) return;
    notifications.push({
      id: notificationId(groupKey, receiver.name, index, next.sequence),
      queue: queueId(group.gid, receiver.name, index),
      groupKey,
      gid: group.gid,
      tenant: group.tenant,
      receiver: receiver.name,
      integration: index,
      integrationType: integration.type,
      sequence: next.sequence,
      reason,
      fingerprints: shown.map((alert) => alert.fingerprint),
      createdAt: now.toISOString(),
      body,
      attempts: 0,
    });
  });
  return { notifications, logUpdates };
}

/**
 * Until when a new group is held: group_interval after its receiver was last notified (by an earlier
 * group of the same key, which ended; its notification log outlives it). In the past when that was
 * long ago, 0 when it never was.
 */
function holdUntil(
  log: ReadonlyMap<string, NotificationLogEntry>,
  receiver: ReceiverConfig | undefined,
  groupIntervalMs: number,
): number {
  let until = 0;
  receiver?.integrations.forEach((integration, index) => {
    const sentAt = log.get(logField(receiver.name, integration, index))?.sentAt;
    if (sentAt !== undefined) until = Math.max(until, sentAt + groupIntervalMs);
  });
  return until;
}
