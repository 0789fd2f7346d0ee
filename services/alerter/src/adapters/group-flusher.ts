import {
  extractTraceContext,
  type GuardedCommand,
  injectTraceContext,
  inSpan,
  type LeasedWrite,
  type Logger,
  leaseOwner,
  PollingWorker,
  type Redis,
  releaseLeases,
  type Tracer,
  writeUnderLeases,
} from "@argus/runtime";
import type { Acknowledgement, AlertRecord } from "../domain/alert.js";
import { type FlushPlan, planFlush } from "../domain/flush/plan-flush.js";
import type { NotificationLogEntry } from "../domain/notification-log.js";
import type { AlerterRoutingConfig } from "../domain/routing/config.js";
import type { Silence } from "../domain/silences.js";
import { type AlertStore, mgetEach } from "./alert-store.js";
import { enqueueCommands } from "./outbox-commands.js";
import type { SilenceStore } from "./silence-store.js";

/** Most groups flushed in one pass. */
const passLimit = 50;

/** Most firing alerts considered as inhibition sources in one flush. */
const inhibitionSourceLimit = 5_000;

export interface GroupFlusherDeps {
  /** The store names the keys; the flusher reads and writes them in its own pipelines. */
  redis: Redis;
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

/**
 * Alertmanager's aggregation groups, with state in Redis so replicas share them: a group due now
 * is leased by one replica, its state and alerts read, and planFlush (pure) decides what to notify
 * and what becomes of the group. Notifications go to the outbox in the same atomic write that
 * advances the log and the group's timer, so a crash never notifies twice or drops a notification.
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
    const due = await this.deps.redis.zrangebyscore(store.groupsDueKey, "-inf", now, "LIMIT", 0, passLimit);
    if (due.length === 0 || !this.running) return;
    const { groups, unread } = await this.leaseGroups(due);
    const writes: LeasedWrite[] = [];
    let queued = 0;
    try {
      const alerts = await this.readAlerts(groups);
      const mutes = this.passMutes();
      for (const group of groups) {
        try {
          const plan = await this.flush(group, alerts, mutes);
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
      await releaseLeases(this.deps.redis, this.owner, unread);
    }
    const { error } = await writeUnderLeases(this.deps.redis, this.owner, writes);
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
    const pipeline = this.deps.redis.pipeline();
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
    const [alertValues, ackValues] = await mgetEach(this.deps.redis, [
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

  /** One group's flush: planned by planFlush from its state as read, then as writes under its lease. */
  private async flush(
    group: LeasedGroup,
    passAlerts: PassAlerts,
    mutes: PassMutes,
  ): Promise<{ commands: GuardedCommand[]; queued: number }> {
    const { gid, meta } = group;
    const routing = this.deps.routing();
    const now = this.deps.clock();
    const tenant = meta.tenant ?? "";
    const log = parseLog(group.log);
    const plan = planFlush({
      group: {
        gid,
        groupKey: meta.groupKey,
        routeKey: meta.routeKey,
        tenant,
        groupLabels: JSON.parse(meta.labels ?? "{}") as Record<string, string>,
        regularAt: meta.regularAt === undefined ? 0 : Number(meta.regularAt),
        flushedAt: meta.flushedAt === undefined ? 0 : Number(meta.flushedAt),
        members: group.members,
        log,
      },
      alerts: passAlerts.alerts(group.members),
      acks: passAlerts.acks,
      mutes: {
        silences: await mutes.silences(tenant),
        inhibitionSources:
          routing.inhibitRules.length > 0 ? (await mutes.firing()).filter((a) => a.tenant === tenant) : [],
      },
      routing,
      now,
    });
    const traceparent = plan.notifications.length > 0 ? await this.traceFlush(meta, gid) : undefined;
    return {
      commands: this.planWrites(gid, plan, { logExisted: log.size > 0, now: now.getTime(), traceparent }),
      queued: plan.notifications.length,
    };
  }

  /** A flush plan as Redis writes: the log, the outbox items, and the group's next timer or its end. */
  private planWrites(
    gid: string,
    plan: FlushPlan,
    context: { logExisted: boolean; now: number; traceparent: string | undefined },
  ): GuardedCommand[] {
    const { store } = this.deps;
    const commands: GuardedCommand[] = [];
    for (const [field, entry] of plan.logUpdates)
      commands.push(["HSET", store.notificationLogKey(gid), field, JSON.stringify(entry)]);
    // Only the log of a group that ended and came back has an expiry to drop; a new one has none.
    if (plan.logUpdates.size > 0 && context.logExisted)
      commands.push(["PERSIST", store.notificationLogKey(gid)]);
    for (const notification of plan.notifications) {
      const { traceparent } = context;
      commands.push(
        ...enqueueCommands(store, traceparent ? { ...notification, traceparent } : notification, context.now),
      );
    }
    const { next } = plan;
    switch (next.type) {
      case "early":
        commands.push(["ZADD", store.groupsDueKey, next.at, gid]);
        break;
      case "held":
        commands.push(["HSET", store.groupKey(gid), "regularAt", next.until]);
        commands.push(["ZADD", store.groupsDueKey, next.until, gid]);
        break;
      case "end":
        commands.push(...store.endGroupCommands(gid, next.log));
        break;
      case "regular":
        if (plan.leaving.length > 0) commands.push(["SREM", store.groupAlertsKey(gid), ...plan.leaving]);
        commands.push(["HSET", store.groupKey(gid), "regularAt", next.at, "flushedAt", context.now]);
        commands.push(["ZADD", store.groupsDueKey, next.at, gid]);
        break;
    }
    return commands;
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

function parseLog(log: Record<string, string>): Map<string, NotificationLogEntry> {
  return new Map(Object.entries(log).map(([index, raw]) => [index, JSON.parse(raw) as NotificationLogEntry]));
}
