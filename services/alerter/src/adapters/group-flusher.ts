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
import { planFlush } from "../domain/flush/plan-flush.js";
import type { AlerterRoutingConfig } from "../domain/routing/config.js";
import { findRoute } from "../domain/routing/route.js";
import type { Silence } from "../domain/silences.js";
import { type AlertStore, mgetEach } from "./alert-store.js";
import { flushWrites, readLegacyParts } from "./group-writes.js";
import type { SilenceStore } from "./silence-store.js";
import { decodeGroup, isLegacyGroup, type StoredGroup } from "./stored/group-layout.js";

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
 * state (one hash per group) in one pipeline, their alerts and acknowledgements in another,
 * silences once, and every group's write in one script (each group's writes still atomic with its
 * own lease). Groups stored before decision 33 take one more round trip for their other keys.
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
      pipeline.set(store.groupLeaseKey(gid), this.owner, "EX", 30, "NX");
      pipeline.hgetall(store.groupKey(gid));
    }
    const replies = (await pipeline.exec()) ?? [];
    const read: { gid: string; lease: string; hash: Record<string, string> }[] = [];
    const unread: string[] = [];
    due.forEach((gid, index) => {
      const [leased, state] = replies.slice(index * 2, index * 2 + 2);
      if (leased?.[1] !== "OK") return;
      const lease = store.groupLeaseKey(gid);
      if (!state || state[0]) {
        unread.push(lease);
        logger.error({ err: state?.[0]?.message ?? "no reply", gid }, "group not flushed");
        return;
      }
      read.push({ gid, lease, hash: state[1] as Record<string, string> });
    });
    const legacy = read.filter(({ hash }) => isLegacyGroup(hash)).map(({ gid }) => gid);
    const parts = await readLegacyParts(this.deps.redis, store, legacy).catch((error: unknown) => {
      unread.push(...read.map(({ lease }) => lease));
      throw error;
    });
    const groups: LeasedGroup[] = read.map(({ gid, lease, hash }) => ({
      gid,
      lease,
      state: decodeGroup(gid, hash, parts.get(gid)),
    }));
    return { groups, unread };
  }

  /** The alerts of the pass's groups and their acknowledgements: one round trip for all groups. */
  private async readAlerts(groups: LeasedGroup[]): Promise<PassAlerts> {
    const { store } = this.deps;
    const fingerprints = [...new Set(groups.flatMap((group) => group.state.members))];
    // Only groups whose alerts were ever acknowledged read acknowledgements (see group-layout.ts).
    const acked = [
      ...new Set(groups.filter((group) => group.state.readsAcks).flatMap((group) => group.state.members)),
    ];
    const raw = new Map<string, string>();
    const acks = new Map<string, Acknowledgement>();
    const [alertValues, ackValues] = await mgetEach(this.deps.redis, [
      fingerprints.map(store.alertKey),
      acked.map(store.ackKey),
    ]);
    fingerprints.forEach((fingerprint, index) => {
      const value = alertValues?.[index];
      if (typeof value === "string") raw.set(fingerprint, value);
    });
    acked.forEach((fingerprint, index) => {
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
    const { gid, state } = group;
    const routing = this.deps.routing();
    const now = this.deps.clock();
    const { tenant } = state;
    const plan = planFlush({
      group: { ...state, gid },
      alerts: passAlerts.alerts(state.members),
      acks: passAlerts.acks,
      mutes: {
        silences: await mutes.silences(tenant),
        inhibitionSources:
          routing.inhibitRules.length > 0 ? (await mutes.firing()).filter((a) => a.tenant === tenant) : [],
      },
      routing,
      now,
    });
    const traceparent = plan.notifications.length > 0 ? await this.traceFlush(state, gid) : undefined;
    return {
      commands: flushWrites(this.deps.store, gid, state, plan, { now: now.getTime(), traceparent }),
      queued: plan.notifications.length,
    };
  }

  /** A span for the flush, child of the last finding that changed the group. */
  private traceFlush(state: StoredGroup, gid: string): Promise<string | undefined> {
    const parent = extractTraceContext(state.traceparent ? { traceparent: state.traceparent } : {});
    const route =
      state.routeKey === undefined ? undefined : findRoute(this.deps.routing().route, state.routeKey);
    return inSpan(
      this.deps.tracer,
      "alerter.flush_group",
      parent,
      { "argus.group.id": gid, "argus.group.receiver": route?.receiver ?? "" },
      async (_span, ctx) => injectTraceContext(ctx, {}).traceparent,
    );
  }
}

/** A due group this replica leased, and its state as read under the lease. */
interface LeasedGroup {
  gid: string;
  lease: string;
  state: StoredGroup;
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
