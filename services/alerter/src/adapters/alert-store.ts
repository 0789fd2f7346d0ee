import type { FencedCommand, Redis } from "@argus/runtime";
import type { AlertRecord } from "../domain/alert.js";
import type { Notification } from "../domain/notification.js";

const seenTtlMs = 7 * 24 * 3_600_000;

/** Where alerts, seen finding ids and the outbox live in Redis, and how they are read and written. */
export class AlertStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: (...parts: string[]) => string,
    private readonly resolvedRetentionMs: number,
  ) {}

  alertKey(fingerprint: string): string {
    return this.key("alert", fingerprint);
  }

  get indexKey(): string {
    return this.key("alerts");
  }

  get dueKey(): string {
    return this.key("outbox", "due");
  }

  get deadKey(): string {
    return this.key("outbox", "dead");
  }

  itemKey(id: string): string {
    return this.key("outbox", "item", id);
  }

  leaseKey(id: string): string {
    return this.key("outbox", "lease", id);
  }

  historyKey(fingerprint: string): string {
    return this.key("history", fingerprint);
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

  saveAlertCommands(alert: AlertRecord): FencedCommand[] {
    const key = this.alertKey(alert.fingerprint);
    const commands: FencedCommand[] = [
      ["SET", key, JSON.stringify(alert)],
      ["ZADD", this.indexKey, Date.parse(alert.updatedAt), alert.fingerprint],
    ];
    // Resolved alerts are kept for a while for on-call's history, then expire; firing ones stay.
    if (alert.state === "resolved") commands.push(["PEXPIRE", key, this.resolvedRetentionMs]);
    return commands;
  }

  markSeenCommand(findingId: string): FencedCommand {
    return ["SET", this.key("seen", findingId), "1", "PX", seenTtlMs];
  }

  enqueueCommands(notification: Notification, dueAt: number): FencedCommand[] {
    return [
      ["SET", this.itemKey(notification.id), JSON.stringify(notification)],
      ["ZADD", this.dueKey, dueAt, notification.id],
    ];
  }

  /** Alerts by most recent change, with stale index entries (expired alerts) pruned on the way. */
  async listByRecency(offset: number, count: number): Promise<AlertRecord[]> {
    const fingerprints = await this.redis.zrevrange(this.indexKey, offset, offset + count - 1);
    if (fingerprints.length === 0) return [];
    const values = await this.redis.mget(fingerprints.map((fingerprint) => this.alertKey(fingerprint)));
    const stale = fingerprints.filter((_, index) => values[index] === null);
    if (stale.length > 0) await this.redis.zrem(this.indexKey, ...stale);
    return values.filter((value): value is string => value !== null).map((value) => JSON.parse(value));
  }
}
