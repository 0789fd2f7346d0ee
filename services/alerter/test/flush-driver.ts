import type { Finding } from "@argus/proto";
import { type Acknowledgement, type AlertRecord, applyFinding } from "../src/domain/alert.js";
import { type FlushPlan, planFlush } from "../src/domain/flush/plan-flush.js";
import type { FlushMutes } from "../src/domain/flush/shown-alerts.js";
import { firstFlushAt, groupsFor } from "../src/domain/grouping.js";
import type { Notification } from "../src/domain/notification.js";
import { endedEntry, type NotificationLogEntry } from "../src/domain/notification-log.js";
import type { AlerterRoutingConfig } from "../src/domain/routing/config.js";
import { findRoute } from "../src/domain/routing/route.js";

/** One group's state as the flusher keeps it in Redis. */
interface DrivenGroup {
  groupKey: string;
  routeKey: string;
  tenant: string;
  groupLabels: Record<string, string>;
  regularAt: number;
  flushedAt: number;
  members: Set<string>;
  /** When it is due (its place in the due set). */
  dueAt: number;
}

/**
 * The flusher's loop on a fake clock, in memory: findings join alerts to their groups (first flush
 * group_wait later), `advanceTo` runs every flush due until then in time order through planFlush,
 * and applies each plan as the group flusher writes it. What the tests read: `sent`.
 */
export class FlushDriver {
  now: number;
  readonly alerts = new Map<string, AlertRecord>();
  readonly acks = new Map<string, Acknowledgement>();
  mutes: FlushMutes = { silences: [], inhibitionSources: [] };
  readonly sent: Notification[] = [];
  readonly plans: FlushPlan[] = [];
  private readonly groups = new Map<string, DrivenGroup>();
  /** Notification logs by gid; they outlive their groups, as in Redis. */
  private readonly logs = new Map<string, Map<string, NotificationLogEntry>>();

  constructor(
    private routing: AlerterRoutingConfig,
    start: number,
  ) {
    this.now = start;
  }

  /** Applies findings now, as the findings handler does: an alert that starts or ends an episode joins its groups. */
  receive(...findings: Finding[]): void {
    for (const finding of findings) {
      const applied = applyFinding(this.alerts.get(finding.fingerprint), finding, new Date(this.now));
      if (!applied) continue;
      this.alerts.set(finding.fingerprint, applied.alert);
      if (applied.transition) this.join(applied.alert);
    }
  }

  acknowledge(fingerprint: string): void {
    const alert = this.alerts.get(fingerprint);
    if (!alert) throw new Error(`no alert ${fingerprint}`);
    this.acks.set(fingerprint, {
      by: "oncall",
      at: new Date(this.now).toISOString(),
      note: "",
      episode: alert.startsAt,
    });
    this.wakeFlushedGroups();
  }

  unacknowledge(fingerprint: string): void {
    this.acks.delete(fingerprint);
    this.wakeFlushedGroups();
  }

  /** A reloaded configuration; groups are not regrouped here. */
  reload(routing: AlerterRoutingConfig): void {
    this.routing = routing;
  }

  /** Moves the clock to `until`, running every flush due on the way at its due time. */
  advanceTo(until: number): void {
    for (;;) {
      const due = [...this.groups].sort(([, a], [, b]) => a.dueAt - b.dueAt)[0];
      if (!due || due[1].dueAt > until) break;
      this.now = Math.max(this.now, due[1].dueAt);
      this.flush(due[0], due[1]);
    }
    this.now = until;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.now + ms);
  }

  /** Notifications sent so far, with the time they were queued. */
  get sentAt(): number[] {
    return this.sent.map((notification) => Date.parse(notification.createdAt));
  }

  hasGroup(): boolean {
    return this.groups.size > 0;
  }

  private join(alert: AlertRecord): void {
    for (const ref of groupsFor(this.routing, alert)) {
      const route = findRoute(this.routing.route, ref.routeKey);
      let group = this.groups.get(ref.gid);
      if (!group) {
        const dueAt = firstFlushAt(Date.parse(alert.startsAt), this.now, route?.groupWaitMs ?? 0);
        group = { ...ref, regularAt: 0, flushedAt: 0, members: new Set(), dueAt };
        this.groups.set(ref.gid, group);
      }
      group.members.add(alert.fingerprint);
    }
  }

  /** What acknowledging does: groups that notified before are due now (a group in group_wait is not). */
  private wakeFlushedGroups(): void {
    for (const group of this.groups.values()) if (group.regularAt > 0) group.dueAt = this.now;
  }

  private flush(gid: string, group: DrivenGroup): void {
    const log = this.logs.get(gid) ?? new Map<string, NotificationLogEntry>();
    const members = [...group.members];
    const plan = planFlush({
      group: { gid, ...group, members, log },
      alerts: members.flatMap((fingerprint) => this.alerts.get(fingerprint) ?? []),
      acks: this.acks,
      mutes: this.mutes,
      routing: this.routing,
      now: new Date(this.now),
    });
    this.plans.push(plan);
    this.sent.push(...plan.notifications);
    for (const [field, entry] of plan.logUpdates) log.set(field, entry);
    this.logs.set(gid, log);
    const { next } = plan;
    if (next.type === "early") group.dueAt = next.at;
    if (next.type === "held") {
      group.regularAt = next.until;
      group.dueAt = next.until;
    }
    if (next.type === "regular") {
      for (const fingerprint of plan.leaving) group.members.delete(fingerprint);
      group.regularAt = next.at;
      group.flushedAt = this.now;
      group.dueAt = next.at;
    }
    if (next.type === "end") {
      this.groups.delete(gid);
      this.logs.set(gid, new Map([...next.log].map(([field, entry]) => [field, endedEntry(entry)])));
    }
  }
}
