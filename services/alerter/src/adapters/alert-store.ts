import type { GuardedCommand, Redis } from "@argus/runtime";
import type { Acknowledgement, AlertRecord } from "../domain/alert.js";
import type { GroupRef } from "../domain/grouping.js";

const seenTtlMs = 7 * 24 * 3_600_000;
const historyLength = 100;

/** One line of an alert's history: who did what, when (findings, hands, notifications). */
export interface AlertEventRecord {
  at: string;
  action: string;
  actor: string;
  detail?: string;
  notificationId?: string;
  receiver?: string;
  httpStatus?: number;
}

/**
 * Where the alerter's state lives in Redis and how it is read. Writes are returned as commands so
 * that callers apply them together with their guard (an offset fence or a lease), atomically.
 */
export class AlertStore {
  constructor(
    readonly redis: Redis,
    readonly key: (...parts: string[]) => string,
    private readonly resolvedRetentionMs: number,
  ) {}

  alertKey = (fingerprint: string) => this.key("alert", fingerprint);
  ackKey = (fingerprint: string) => this.key("ack", fingerprint);
  historyKey = (fingerprint: string) => this.key("history", fingerprint);
  groupKey = (gid: string) => this.key("group", gid);
  groupAlertsKey = (gid: string) => this.key("group", gid, "alerts");
  notificationLogKey = (gid: string) => this.key("group", gid, "nflog");
  groupLeaseKey = (gid: string) => this.key("group", gid, "lease");
  itemKey = (id: string) => this.key("outbox", "item", id);
  deliveredKey = (id: string) => this.key("outbox", "delivered", id);
  queueKey = (queue: string) => this.key("outbox", "queue", queue);
  queueLeaseKey = (queue: string) => this.key("outbox", "lease", queue);
  receiverStateKey = (receiver: string, integration: number) =>
    this.key("receiver", receiver, String(integration));
  get indexKey() {
    return this.key("alerts");
  }
  get firingKey() {
    return this.key("firing");
  }
  get groupsDueKey() {
    return this.key("groups", "due");
  }
  get dueKey() {
    return this.key("outbox", "due");
  }
  get deadKey() {
    return this.key("outbox", "dead");
  }
  get silencesKey() {
    return this.key("silences");
  }

  /** Current alerts for `fingerprints` and which `findingIds` were applied before: one round trip. */
  async loadForBatch(
    fingerprints: string[],
    findingIds: string[],
  ): Promise<{ alerts: Map<string, AlertRecord>; seen: Set<string> }> {
    const pipeline = this.redis.pipeline();
    for (const fingerprint of fingerprints) pipeline.get(this.alertKey(fingerprint));
    for (const id of findingIds) pipeline.exists(this.key("seen", id));
    const replies = (await pipeline.exec()) ?? [];
    const alerts = new Map<string, AlertRecord>();
    const seen = new Set<string>();
    replies.forEach(([error, value], index) => {
      if (error) throw error;
      if (index < fingerprints.length) {
        if (typeof value === "string")
          alerts.set(fingerprints[index] as string, JSON.parse(value) as AlertRecord);
      } else if (value === 1) {
        seen.add(findingIds[index - fingerprints.length] as string);
      }
    });
    return { alerts, seen };
  }

  async getAlert(fingerprint: string): Promise<{ raw: string; alert: AlertRecord } | null> {
    const raw = await this.redis.get(this.alertKey(fingerprint));
    return raw === null ? null : { raw, alert: JSON.parse(raw) as AlertRecord };
  }

  async getAlerts(fingerprints: readonly string[]): Promise<AlertRecord[]> {
    if (fingerprints.length === 0) return [];
    const values = await this.redis.mget(fingerprints.map(this.alertKey));
    return values.filter((value): value is string => value !== null).map((value) => JSON.parse(value));
  }

  async getAcks(fingerprints: readonly string[]): Promise<Map<string, Acknowledgement>> {
    const acks = new Map<string, Acknowledgement>();
    if (fingerprints.length === 0) return acks;
    const values = await this.redis.mget(fingerprints.map(this.ackKey));
    values.forEach((value, index) => {
      if (value !== null) acks.set(fingerprints[index] as string, JSON.parse(value));
    });
    return acks;
  }

  async history(fingerprint: string): Promise<AlertEventRecord[]> {
    const values = await this.redis.lrange(this.historyKey(fingerprint), 0, historyLength - 1);
    return values.map((value) => JSON.parse(value));
  }

  saveAlertCommands(alert: AlertRecord): GuardedCommand[] {
    const key = this.alertKey(alert.fingerprint);
    const commands: GuardedCommand[] = [
      ["SET", key, JSON.stringify(alert)],
      ["ZADD", this.indexKey, Date.parse(alert.updatedAt), alert.fingerprint],
    ];
    // Resolved alerts are kept for a while for on-call's history, then expire; firing ones stay.
    if (alert.state === "resolved") {
      commands.push(["PEXPIRE", key, this.resolvedRetentionMs]);
      commands.push(["ZREM", this.firingKey, alert.fingerprint]);
    } else {
      commands.push(["ZADD", this.firingKey, Date.parse(alert.updatedAt), alert.fingerprint]);
    }
    return commands;
  }

  historyCommands(fingerprint: string, event: AlertEventRecord): GuardedCommand[] {
    const key = this.historyKey(fingerprint);
    return [
      ["LPUSH", key, JSON.stringify(event)],
      ["LTRIM", key, 0, historyLength - 1],
      ["PEXPIRE", key, this.resolvedRetentionMs],
    ];
  }

  /** Marks a notification delivered (value: its tenant), kept as long as resolved alerts. */
  deliveredCommand(id: string, tenant: string): GuardedCommand {
    return ["SET", this.deliveredKey(id), tenant, "PX", this.resolvedRetentionMs];
  }

  markSeenCommand(findingId: string): GuardedCommand {
    return ["SET", this.key("seen", findingId), "1", "PX", seenTtlMs];
  }

  /** Puts an alert into a group, creating the group (first flush at `firstFlushAt`) if it is new. */
  joinGroupCommands(group: GroupRef, fingerprint: string, firstFlushAt: number): GuardedCommand[] {
    return [
      [
        "HSET",
        this.groupKey(group.gid),
        "groupKey",
        group.groupKey,
        "routeKey",
        group.routeKey,
        "receiver",
        group.receiver,
        "tenant",
        group.tenant,
        "labels",
        JSON.stringify(group.groupLabels),
      ],
      ["SADD", this.groupAlertsKey(group.gid), fingerprint],
      ["ZADD", this.groupsDueKey, "NX", firstFlushAt, group.gid],
    ];
  }

  /** Alerts by most recent change, with stale index entries (expired alerts) pruned on the way. */
  async listByRecency(offset: number, count: number): Promise<AlertRecord[]> {
    const fingerprints = await this.redis.zrevrange(this.indexKey, offset, offset + count - 1);
    if (fingerprints.length === 0) return [];
    const values = await this.redis.mget(fingerprints.map(this.alertKey));
    const stale = fingerprints.filter((_, index) => values[index] === null);
    if (stale.length > 0) await this.redis.zrem(this.indexKey, ...stale);
    return values.filter((value): value is string => value !== null).map((value) => JSON.parse(value));
  }

  /** Firing alerts (most recently updated first), at most `limit`. */
  async firingAlerts(limit: number): Promise<AlertRecord[]> {
    return this.getAlerts(await this.redis.zrevrange(this.firingKey, 0, limit - 1));
  }
}
