import {
  extractTraceContext,
  type GuardedCommand,
  injectTraceContext,
  inSpan,
  type LeasedWrite,
  type Logger,
  leaseOwner,
  PollingWorker,
  releaseLeases,
  type Tracer,
  writeUnderLeases,
} from "@argus/runtime";
import { type Acknowledgement, type AlertRecord, isAcknowledged } from "../domain/alert.js";
import { type InhibitionCandidate, inhibitingAlert } from "../domain/inhibition.js";
import { type Notification, notificationId, queueId } from "../domain/notification.js";
import { type NotificationLogEntry, nextEntry, notifyReason } from "../domain/notification-log.js";
import { notificationBody } from "../domain/payloads.js";
import type { AlerterRoutingConfig, Integration } from "../domain/routing/config.js";
import { findRoute } from "../domain/routing/route.js";
import { isRouteMuted } from "../domain/routing/time-intervals.js";
import { type Silence, silencesMuting } from "../domain/silences.js";
import { type AlertStore, mgetEach } from "./alert-store.js";
import { enqueueCommands } from "./outbox-commands.js";
import type { SilenceStore } from "./silence-store.js";

/** Most groups flushed in one pass. */
const passLimit = 50;

/** Most firing alerts considered as inhibition sources in one flush. */
const inhibitionSourceLimit = 5_000;

export interface GroupFlusherDeps {
  store: AlertStore;
  silences: SilenceStore;
  routing: () => AlerterRoutingConfig;
  tracer: Tracer;
  logger: Logger;
  pollMs: number;
  clock: () => Date;
  /** Called when notifications were queued: the outbox should look now. */
  onQueued: () => void;
}

/** Receivers that can be told an incident was acknowledged (and unacknowledged). */
function supportsAcknowledge(integration: Integration): boolean {
  return (
    integration.type === "pagerduty" || (integration.type === "webhook" && integration.payload === "argus")
  );
}

/**
 * Alertmanager's aggregation groups, with state in Redis so replicas share them: a group due now
 * is leased by one replica, its alerts filtered (silences, inhibition, time intervals), and for each
 * integration of its receiver the notification log decides whether to notify. Notifications go to
 * the outbox in the same atomic write that advances the log and the group's timer, so a crash never
 * notifies twice or drops a notification.
 *
 * A pass flushes up to 50 due groups in four round trips whatever their number: leases and group
 * state in one pipeline, their alerts and acknowledgements in another, silences once, and every
 * group's write in one script (each group's writes still atomic with its own lease).
 */
export class GroupFlusher extends PollingWorker {
  private readonly owner = leaseOwner();

  constructor(private readonly deps: GroupFlusherDeps) {
    super("group flush", deps.pollMs, deps.logger);
  }

  protected async pass(): Promise<void> {
    const { store, logger } = this.deps;
    const now = this.deps.clock().getTime();
    const due = await store.redis.zrangebyscore(store.groupsDueKey, "-inf", now, "LIMIT", 0, passLimit);
    if (due.length === 0 || !this.running) return;
    const { groups, unread } = await this.leaseGroups(due);
    const writes: LeasedWrite[] = [];
    let queued = 0;
    try {
      const alerts = await this.readAlerts(groups);
      const mutes = this.passMutes();
      for (const group of groups) {
        try {
          const plan = await this.plan(group, alerts, mutes);
          writes.push({ lease: group.lease, commands: plan.commands });
          queued += plan.queued;
        } catch (error) {
          // One group whose state does not read (e.g. a key that no longer opens) holds back no other.
          unread.push(group.lease);
          logger.error({ err: (error as Error).message, gid: group.gid }, "group not flushed");
        }
      }
    } catch (error) {
      unread.push(...groups.map((group) => group.lease));
      throw error;
    } finally {
      await releaseLeases(store.redis, this.owner, unread);
    }
    const { error } = await writeUnderLeases(store.redis, this.owner, writes);
    if (queued > 0) this.deps.onQueued();
    if (error) throw error;
    // A full page means more groups may be due now: flush them at once, not a poll later.
    if (due.length === passLimit && writes.length > 0) this.wake();
  }

  /**
   * Takes the lease of each due group and reads its state under it, in one round trip: Redis runs
   * a pipeline's commands in order, so each read comes after its lease was taken. Groups leased by
   * another replica are left to it; leases of groups whose state did not read are in `unread`.
   */
  private async leaseGroups(due: string[]): Promise<{ groups: LeasedGroup[]; unread: string[] }> {
    const { store, logger } = this.deps;
    const pipeline = store.redis.pipeline();
    for (const gid of due) {
      pipeline.set(store.groupLeaseKey(gid), this.owner, "PX", 30_000, "NX");
      pipeline.hgetall(store.groupKey(gid));
      pipeline.smembers(store.groupAlertsKey(gid));
      pipeline.hgetall(store.notificationLogKey(gid));
    }
    const replies = (await pipeline.exec()) ?? [];
    const groups: LeasedGroup[] = [];
    const unread: string[] = [];
    due.forEach((gid, index) => {
      const [leased, meta, members, log] = replies.slice(index * 4, index * 4 + 4);
      if (leased?.[1] !== "OK") return;
      const lease = store.groupLeaseKey(gid);
      const reads = [meta, members, log];
      if (reads.some((reply) => !reply || reply[0])) {
        unread.push(lease);
        const err = reads.find((reply) => reply?.[0])?.[0]?.message ?? "no reply";
        logger.error({ err, gid }, "group not flushed");
        return;
      }
      groups.push({
        gid,
        lease,
        meta: meta?.[1] as Record<string, string>,
        members: members?.[1] as string[],
        log: log?.[1] as Record<string, string>,
      });
    });
    return { groups, unread };
  }

  /** The alerts of the pass's groups and their acknowledgements: one round trip for all groups. */
  private async readAlerts(groups: LeasedGroup[]): Promise<PassAlerts> {
    const { store } = this.deps;
    const fingerprints = [...new Set(groups.flatMap((group) => group.members))];
    const raw = new Map<string, string>();
    const acks = new Map<string, Acknowledgement>();
    const [alertValues, ackValues] = await mgetEach(store.redis, [
      fingerprints.map(store.alertKey),
      fingerprints.map(store.ackKey),
    ]);
    fingerprints.forEach((fingerprint, index) => {
      const value = alertValues?.[index];
      if (typeof value === "string") raw.set(fingerprint, value);
      const ack = ackValues?.[index];
      if (typeof ack === "string") acks.set(fingerprint, JSON.parse(ack) as Acknowledgement);
    });
    const opened = new Map<string, AlertRecord>();
    return {
      // Opened on demand, once per pass: an alert in several groups is opened once.
      alerts: (members) =>
        members.flatMap((fingerprint) => {
          const value = raw.get(fingerprint);
          if (value === undefined) return [];
          let alert = opened.get(fingerprint);
          if (!alert) {
            alert = store.parseAlert(fingerprint, value);
            opened.set(fingerprint, alert);
          }
          return [alert];
        }),
      acks,
    };
  }

  /**
   * What silences and inhibition need, read at most once per pass and shared by its groups: a pass
   * flushes up to 50 groups, and each must not re-read every silence and every firing alert.
   */
  private passMutes(): PassMutes {
    let silences: Promise<Silence[]> | undefined;
    let firing: Promise<AlertRecord[]> | undefined;
    return {
      silences: async (tenant) => {
        silences ??= this.deps.silences.listAll();
        return (await silences).filter((silence) => silence.tenant === tenant);
      },
      firing: () => {
        firing ??= this.deps.store.firingAlerts(inhibitionSourceLimit);
        return firing;
      },
    };
  }

  /** The writes of one group's flush (under its lease) and how many notifications they queue. */
  private async plan(
    group: LeasedGroup,
    passAlerts: PassAlerts,
    mutes: PassMutes,
  ): Promise<{ commands: GuardedCommand[]; queued: number }> {
    const { store } = this.deps;
    const { gid, meta, members, log } = group;
    const config = this.deps.routing();
    const route = meta.routeKey === undefined ? undefined : findRoute(config.route, meta.routeKey);
    if (!route || meta.groupKey === undefined) {
      // The route is gone (configuration reloaded; its alerts were regrouped then) or the group is.
      return { commands: store.endGroupCommands(gid, parseLog(log)), queued: 0 };
    }
    const now = this.deps.clock();
    const regularAt = meta.regularAt === undefined ? 0 : Number(meta.regularAt);
    // Woken early (an acknowledgement): only acknowledgement news may go out before group_interval.
    const regular = now.getTime() >= regularAt;
    const tenant = meta.tenant ?? "";
    const alerts = passAlerts.alerts(members);
    const present = new Set(alerts.map((alert) => alert.fingerprint));
    const acknowledged = new Set(
      alerts
        .filter((alert) => isAcknowledged(alert, passAlerts.acks.get(alert.fingerprint)))
        .map((a) => a.fingerprint),
    );
    const shown = await unmuted(alerts, tenant, config, now, mutes);
    const firing = new Set(shown.filter((a) => a.state === "firing").map((a) => a.fingerprint));
    const resolved = new Set(shown.filter((a) => a.state === "resolved").map((a) => a.fingerprint));
    const commands: GuardedCommand[] = [];
    let queued = 0;
    const entries = parseLog(log);
    const logExisted = entries.size > 0;
    const receiver = config.receivers.get(route.receiver);
    if (receiver && shown.length > 0 && !isRouteMuted(route, config.timeIntervals, now)) {
      const groupLabels = JSON.parse(meta.labels ?? "{}") as Record<string, string>;
      const traceparent = await this.traceFlush(meta, gid);
      receiver.integrations.forEach((integration, index) => {
        // Per receiver and integration, as Alertmanager keys its notification log: a receiver that
        // takes a route over on reload has been told nothing yet.
        const field = logField(receiver.name, integration, index);
        const entry = entries.get(field);
        const reason = notifyReason(entry, firing, resolved, acknowledged, {
          sendResolved: integration.sendResolved,
          repeatIntervalMs: route.repeatIntervalMs,
          now: now.getTime(),
          supportsAcknowledge: supportsAcknowledge(integration),
        });
        if (!reason || (!regular && reason !== "acknowledged" && reason !== "unacknowledged")) return;
        const next = nextEntry(entry, firing, resolved, acknowledged, now.getTime());
        entries.set(field, next);
        commands.push(["HSET", store.notificationLogKey(gid), field, JSON.stringify(next)]);
        // Only the log of a group that ended and came back has an expiry to drop; a new one has none.
        if (logExisted) commands.push(["PERSIST", store.notificationLogKey(gid)]);
        const body = notificationBody(integration, {
          receiver: receiver.name,
          groupKey: meta.groupKey as string,
          groupLabels,
          alerts: shown,
          acknowledged,
          reason,
          externalUrl: config.externalUrl,
          now,
        });
        if (body === null) return;
        const notification: Notification = {
          id: notificationId(meta.groupKey as string, receiver.name, index, next.sequence),
          queue: queueId(gid, receiver.name, index),
          groupKey: meta.groupKey as string,
          gid,
          tenant,
          receiver: receiver.name,
          integration: index,
          integrationType: integration.type,
          sequence: next.sequence,
          reason,
          fingerprints: shown.map((alert) => alert.fingerprint),
          createdAt: now.toISOString(),
          body,
          ...(traceparent ? { traceparent } : {}),
          attempts: 0,
        };
        commands.push(...enqueueCommands(store, notification, now.getTime()));
        queued++;
      });
    }
    if (!regular) {
      commands.push(["ZADD", store.groupsDueKey, regularAt, gid]);
      return { commands, queued };
    }
    // After a flush, resolved alerts leave the group (Alertmanager), and so do expired ones.
    const leaving = [
      ...alerts.filter((alert) => alert.state === "resolved").map((alert) => alert.fingerprint),
      ...members.filter((fingerprint) => !present.has(fingerprint)),
    ];
    if (leaving.length === members.length)
      return { commands: [...commands, ...this.deps.store.endGroupCommands(gid, entries)], queued };
    if (leaving.length > 0) commands.push(["SREM", store.groupAlertsKey(gid), ...leaving]);
    const nextAt = now.getTime() + route.groupIntervalMs;
    commands.push(["HSET", store.groupKey(gid), "regularAt", nextAt, "flushedAt", now.getTime()]);
    commands.push(["ZADD", store.groupsDueKey, nextAt, gid]);
    return { commands, queued };
  }

  /** A span for the flush, child of the last finding that changed the group. */
  private traceFlush(meta: Record<string, string>, gid: string): Promise<string | undefined> {
    const parent = extractTraceContext(meta.traceparent ? { traceparent: meta.traceparent } : {});
    return inSpan(
      this.deps.tracer,
      "alerter.flush_group",
      parent,
      { "argus.group.id": gid, "argus.group.receiver": meta.receiver ?? "" },
      async (_span, ctx) => injectTraceContext(ctx, {}).traceparent,
    );
  }
}

/** A notification log field: receiver, integration type and index (Alertmanager's receiver key). */
function logField(receiver: string, integration: Integration, index: number): string {
  return `${encodeURIComponent(receiver)}/${integration.type}/${index}`;
}

/** A due group this replica leased, and its state as read under the lease. */
interface LeasedGroup {
  gid: string;
  lease: string;
  meta: Record<string, string>;
  members: string[];
  log: Record<string, string>;
}

/** The alerts of a pass's groups (`alerts(members)`: those that still exist) and acknowledgements. */
interface PassAlerts {
  alerts(members: readonly string[]): AlertRecord[];
  acks: ReadonlyMap<string, Acknowledgement>;
}

/** Per-pass readers of silences (by tenant) and of the firing alerts that may inhibit. */
interface PassMutes {
  silences(tenant: string): Promise<Silence[]>;
  firing(): Promise<AlertRecord[]>;
}

/** The group's alerts minus those silenced or inhibited now. */
async function unmuted(
  alerts: AlertRecord[],
  tenant: string,
  config: AlerterRoutingConfig,
  now: Date,
  mutes: PassMutes,
): Promise<AlertRecord[]> {
  const silences = await mutes.silences(tenant);
  const sources: InhibitionCandidate[] =
    config.inhibitRules.length > 0 ? (await mutes.firing()).filter((a) => a.tenant === tenant) : [];
  return alerts.filter(
    (alert) =>
      silencesMuting(silences, alert, now).length === 0 &&
      (config.inhibitRules.length === 0 ||
        inhibitingAlert(config.inhibitRules, alert, sources) === undefined),
  );
}

function parseLog(log: Record<string, string>): Map<string, NotificationLogEntry> {
  return new Map(Object.entries(log).map(([index, raw]) => [index, JSON.parse(raw) as NotificationLogEntry]));
}
