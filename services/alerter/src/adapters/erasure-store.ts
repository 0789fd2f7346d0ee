import {
  type GuardedCommand,
  LeaseBusyError,
  type LeasedPlan,
  LeaseLostError,
  type Redis,
  runGuarded,
  writeUnderLease,
} from "@argus/runtime";
import type { AlertRecord } from "../domain/alert.js";
import { type GroupScrub, nextDueAfterRemoving } from "../domain/erasure.js";
import { Unavailable } from "../domain/errors.js";
import type { NotificationLogEntry } from "../domain/notification-log.js";
import type { AlertStore, ErasableClient } from "./alert-store.js";
import { readLegacyParts, scrubWrites } from "./group-writes.js";
import { throwFirstError } from "./pipeline-replies.js";
import { decodeGroup, isLegacyGroup, memberField } from "./stored/group-layout.js";

/** A compare-and-set that keeps losing to findings is given up after this many tries (the erasure is retried whole). */
const maxAttempts = 10;

/** A lease taken by erasure lasts this long: longer than reading a group or a queue head takes. */
const leaseTtlMs = 30_000;

/** A group's lease is held by a flush, which reads and writes a group well within this. */
const groupWaitMs = 35_000;

/**
 * What erasing a client does to Redis: every write is a compare-and-set against what was read, or
 * made under the group's or queue's lease, so a concurrent finding, flush or delivery is never
 * overwritten. What to write is decided by the domain functions the caller passes in.
 */
export class ErasureStore {
  constructor(
    private readonly redis: Redis,
    private readonly store: AlertStore,
    private readonly webhookTimeoutMs: number,
  ) {}

  /** A send holds its queue at most twice the webhook timeout and 5 s (see the dispatcher): erasure waits that long. */
  private get queueWaitMs(): number {
    return this.webhookTimeoutMs * 2 + 6_000;
  }

  /** Leaves the mark that drops findings about the client arriving while (or just after) it is erased. */
  async mark(client: ErasableClient, forMs: number): Promise<void> {
    await this.redis.set(this.store.erasedKey(client), "1", "PX", forMs);
  }

  /** Deletes an alert with its acknowledgement and history, whatever it became meanwhile; returns the keys deleted. */
  async removeAlert(fingerprint: string, raw: string): Promise<number> {
    const { store } = this;
    const key = store.alertKey(fingerprint);
    let current: string | null = raw;
    for (let attempt = 0; current !== null; attempt++) {
      const [ack, history] = await Promise.all([
        this.redis.exists(store.ackKey(fingerprint)),
        this.redis.exists(store.historyKey(fingerprint)),
      ]);
      const written = await runGuarded(this.redis, {
        key,
        expected: current,
        commands: [
          ["DEL", store.ackKey(fingerprint)],
          ["DEL", store.historyKey(fingerprint)],
          ["ZREM", store.indexKey, fingerprint],
          ["ZREM", store.firingKey, fingerprint],
          ["DEL", key],
        ],
      });
      if (written) return 1 + ack + history;
      // A finding changed the alert meanwhile: it is still about the client; delete what is there now.
      if (attempt + 1 >= maxAttempts) throw keptChanging(fingerprint);
      current = await this.redis.get(key);
    }
    return 0;
  }

  /**
   * Rewrites an alert as `redact` makes it, against what it is now; false when `redact` leaves it
   * (nothing of the client in it any more) or it is gone.
   */
  async redactAlert(
    fingerprint: string,
    raw: string,
    redact: (alert: AlertRecord) => AlertRecord | null,
  ): Promise<boolean> {
    const { store } = this;
    let current: string | null = raw;
    for (let attempt = 0; current !== null; attempt++) {
      const redacted = redact(store.parseAlert(fingerprint, current));
      if (!redacted) return false;
      const written = await runGuarded(this.redis, {
        key: store.alertKey(fingerprint),
        expected: current,
        next: store.serializeAlert(redacted),
        // Rewriting the key drops its expiry: a resolved alert gets its retention back.
        commands: store.saveAlertCommands(redacted).filter(([verb]) => verb !== "SET"),
      });
      if (written) return true;
      if (attempt + 1 >= maxAttempts) throw keptChanging(fingerprint);
      current = await this.redis.get(store.alertKey(fingerprint));
    }
    return false;
  }

  /** The live groups (due to flush) that hold any of `fingerprints`, whatever route put them there. */
  async groupsHolding(fingerprints: readonly string[]): Promise<string[]> {
    const { store } = this;
    if (fingerprints.length === 0) return [];
    const live = await this.redis.zrange(store.groupsDueKey, 0, -1);
    if (live.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const gid of live) {
      pipeline.hmget(store.groupKey(gid), ...fingerprints.map(memberField));
      // A group stored before decision 33 keeps its members in a set of their own.
      pipeline.smismember(store.legacyGroupAlertsKey(gid), ...fingerprints);
    }
    const replies = (await pipeline.exec()) ?? [];
    throwFirstError(replies);
    return live.filter((_, index) => {
      const fields = (replies[index * 2]?.[1] ?? []) as (string | null)[];
      const legacy = (replies[index * 2 + 1]?.[1] ?? []) as number[];
      return fields.some((value) => value !== null) || legacy.some((flag) => flag === 1);
    });
  }

  /**
   * Changes a group as `scrub` decides from its members and notification log, under the group's
   * lease (never during its flush); returns the keys deleted (an ended group's).
   */
  async scrubGroup(
    gid: string,
    scrub: (members: string[], log: Map<string, NotificationLogEntry>) => GroupScrub,
  ): Promise<number> {
    const { store } = this;
    return this.underLease(store.groupLeaseKey(gid), groupWaitMs, async () => {
      const hash = await this.redis.hgetall(store.groupKey(gid));
      const legacy = isLegacyGroup(hash) ? await readLegacyParts(this.redis, store, [gid]) : undefined;
      const group = decodeGroup(gid, hash, legacy?.get(gid));
      const change = scrub(group.members, group.log);
      if (change.end) {
        // The group's own state goes (its log stays, as a group that ended keeps it), and a set of
        // members of a group stored before decision 33.
        const removed = (group.groupKey === undefined ? 0 : 1) + (legacy?.get(gid)?.members.length ? 1 : 0);
        return { commands: store.endGroupCommands(gid, change.log, group.legacy), result: removed };
      }
      return { commands: scrubWrites(store, gid, group, change), result: 0 };
    });
  }

  /** Ids of the tenant's outbox items (pending or dead-lettered) that speak of any of `fingerprints`. */
  async notificationsAbout(tenant: string, fingerprints: ReadonlySet<string>): Promise<string[]> {
    const ids = new Set<string>();
    for (const { pattern, idAt } of this.store.itemKeyPatterns) {
      let cursor = "0";
      do {
        const [next, keys] = await this.redis.scan(cursor, "MATCH", pattern, "COUNT", 1_000);
        cursor = next;
        if (keys.length === 0) continue;
        const values = await this.redis.mget(keys);
        values.forEach((value, index) => {
          if (value === null) return;
          // Metadata (tenant, fingerprints), in the clear: the body is opened only for the group key.
          const item = this.store.parseNotificationMetadata((keys[index] as string).slice(idAt), value);
          if (item.tenant === tenant && item.fingerprints.some((fp) => fingerprints.has(fp)))
            ids.add(item.id);
        });
      } while (cursor !== "0");
    }
    return [...ids];
  }

  /**
   * Removes an outbox item under its queue's lease (never while it is being sent); the next of its
   * queue becomes due. Returns 1 when it was removed, 0 when it was gone (delivered meanwhile).
   */
  async removeNotification(id: string): Promise<number> {
    const { store } = this;
    const raw = await this.redis.get(store.itemKey(id));
    if (raw === null) return 0;
    const { queue } = store.parseNotificationMetadata(id, raw);
    return this.underLease(store.queueLeaseKey(queue), this.queueWaitMs, async () => {
      const [exists, head] = await Promise.all([
        this.redis.exists(store.itemKey(id)),
        this.redis.zrange(store.queueKey(queue), 0, 1),
      ]);
      const commands: GuardedCommand[] = [
        ["DEL", store.itemKey(id)],
        ["ZREM", store.queueKey(queue), id],
        ["ZREM", store.dueKey, id],
        ["ZREM", store.deadKey, id],
      ];
      const next = nextDueAfterRemoving(id, head);
      if (next !== undefined) commands.push(["ZADD", store.dueKey, "NX", Date.now(), next]);
      return { commands, result: exists };
    });
  }

  /** Writes under `lease`; a lease held too long elsewhere, or lost, leaves the erasure to be retried. */
  private async underLease(
    lease: string,
    waitMs: number,
    plan: () => Promise<LeasedPlan<number>>,
  ): Promise<number> {
    try {
      return await writeUnderLease(this.redis, lease, { waitMs, ttlMs: leaseTtlMs }, plan);
    } catch (error) {
      if (error instanceof LeaseBusyError) throw new Unavailable("busy; erasure not finished, try again");
      if (error instanceof LeaseLostError)
        throw new Unavailable("lease lost; erasure not finished, try again");
      throw error;
    }
  }
}

function keptChanging(fingerprint: string): Unavailable {
  return new Unavailable(
    `alert ${fingerprint} kept changing while erasing it; erasure not finished, try again`,
  );
}
