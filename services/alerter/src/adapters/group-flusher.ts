import { randomUUID } from "node:crypto";
import {
  extractTraceContext,
  type GuardedCommand,
  injectTraceContext,
  inSpan,
  type Logger,
  runGuarded,
  type Tracer,
} from "@argus/runtime";
import { type AlertRecord, isAcknowledged } from "../domain/alert.js";
import { type InhibitionCandidate, inhibitingAlert } from "../domain/inhibition.js";
import { type Notification, notificationId, queueId } from "../domain/notification.js";
import { type NotificationLogEntry, nextEntry, notifyReason } from "../domain/notification-log.js";
import { notificationBody } from "../domain/payloads.js";
import type { AlerterRoutingConfig, Integration } from "../domain/routing/config.js";
import { findRoute, type Route } from "../domain/routing/route.js";
import { isRouteMuted } from "../domain/routing/time-intervals.js";
import { type Silence, silencesMuting } from "../domain/silences.js";
import type { AlertStore } from "./alert-store.js";
import { enqueueCommands, releaseLease } from "./outbox-commands.js";
import { PollingWorker } from "./polling-loop.js";
import type { SilenceStore } from "./silence-store.js";

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
 */
export class GroupFlusher extends PollingWorker {
  private readonly owner = randomUUID();

  constructor(private readonly deps: GroupFlusherDeps) {
    super("group flush", deps.pollMs, deps.logger);
  }

  protected async pass(): Promise<void> {
    const { store } = this.deps;
    const now = this.deps.clock().getTime();
    const due = await store.redis.zrangebyscore(store.groupsDueKey, "-inf", now, "LIMIT", 0, 50);
    let queued = 0;
    const mutes = this.passMutes();
    for (const gid of due) {
      if (!this.running) break;
      queued += await this.flushGroup(gid, mutes);
    }
    if (queued > 0) this.deps.onQueued();
  }

  /** Flushes one group under its lease; returns the number of notifications queued. */
  /**
   * What silences and inhibition need, read at most once per pass and shared by its groups: a pass
   * flushes up to 50 groups, and each must not re-read every silence and every firing alert.
   */
  private passMutes(): PassMutes {
    const silences = new Map<string, Promise<Silence[]>>();
    let firing: Promise<AlertRecord[]> | undefined;
    return {
      silences: (tenant) => {
        const found = silences.get(tenant) ?? this.deps.silences.list(tenant);
        silences.set(tenant, found);
        return found;
      },
      firing: () => {
        firing ??= this.deps.store.firingAlerts(inhibitionSourceLimit);
        return firing;
      },
    };
  }

  private async flushGroup(gid: string, mutes: PassMutes): Promise<number> {
    const { store } = this.deps;
    const lease = store.groupLeaseKey(gid);
    if ((await store.redis.set(lease, this.owner, "PX", 30_000, "NX")) !== "OK") return 0;
    try {
      const [meta, members, log] = await Promise.all([
        store.redis.hgetall(store.groupKey(gid)),
        store.redis.smembers(store.groupAlertsKey(gid)),
        store.redis.hgetall(store.notificationLogKey(gid)),
      ]);
      const config = this.deps.routing();
      const route = meta.routeKey === undefined ? undefined : findRoute(config.route, meta.routeKey);
      if (!route || meta.groupKey === undefined) {
        // The route is gone (configuration reloaded; its alerts were regrouped then) or the group is.
        const commands = store.endGroupCommands(gid, parseLog(log));
        await runGuarded(store.redis, { key: lease, expected: this.owner, commands });
        return 0;
      }
      const plan = await this.plan(gid, meta, route, members, log, config, mutes);
      const written = await runGuarded(store.redis, {
        key: lease,
        expected: this.owner,
        commands: plan.commands,
      });
      return written ? plan.queued : 0;
    } finally {
      await releaseLease(store.redis, lease, this.owner);
    }
  }

  private async plan(
    gid: string,
    meta: Record<string, string>,
    route: Route,
    members: string[],
    log: Record<string, string>,
    config: AlerterRoutingConfig,
    mutes: PassMutes,
  ): Promise<{ commands: GuardedCommand[]; queued: number }> {
    const { store } = this.deps;
    const now = this.deps.clock();
    const regularAt = meta.regularAt === undefined ? 0 : Number(meta.regularAt);
    // Woken early (an acknowledgement): only acknowledgement news may go out before group_interval.
    const regular = now.getTime() >= regularAt;
    const tenant = meta.tenant ?? "";
    const alerts = await store.getAlerts(members);
    const present = new Set(alerts.map((alert) => alert.fingerprint));
    const acks = await store.getAcks(alerts.filter((a) => a.state === "firing").map((a) => a.fingerprint));
    const acknowledged = new Set(
      alerts.filter((alert) => isAcknowledged(alert, acks.get(alert.fingerprint))).map((a) => a.fingerprint),
    );
    const shown = await unmuted(alerts, tenant, config, now, mutes);
    const firing = new Set(shown.filter((a) => a.state === "firing").map((a) => a.fingerprint));
    const resolved = new Set(shown.filter((a) => a.state === "resolved").map((a) => a.fingerprint));
    const commands: GuardedCommand[] = [];
    let queued = 0;
    const entries = parseLog(log);
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
        commands.push(["PERSIST", store.notificationLogKey(gid)]);
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
