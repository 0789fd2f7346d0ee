import { createHash } from "node:crypto";
import type { EvidenceSealer, GuardedCommand, Redis } from "@argus/runtime";
import { type Acknowledgement, type AlertRecord, lastHeardMs } from "../domain/alert.js";
import type { GroupRef } from "../domain/grouping.js";
import type { HistoryEntry } from "../domain/history.js";
import type { Notification } from "../domain/notification.js";
import { endedEntry, type NotificationLogEntry } from "../domain/notification-log.js";
import { membersAfter, type PagePosition } from "./sorted-set-pages.js";
import { decodeAlert, decodeStoredAlert, encodeAlert, type StoredAlert } from "./stored/alert-layout.js";
import {
  encodeLogEntry,
  groupField,
  groupMetaFields,
  logEntryField,
  memberField,
} from "./stored/group-layout.js";
import { decodeHistoryEntry, encodeHistoryEntry } from "./stored/history-layout.js";
import {
  decodeNotification,
  decodeNotificationMetadata,
  encodeNotification,
  type NotificationMetadata,
} from "./stored/notification-layout.js";
import { storedTraceparent } from "./stored/trace-context.js";

export type { StoredAlert };

/** Notification ids made since decision 33 (notificationId). */
const currentId = /^msg_[A-Za-z0-9_-]{16}$/;

/** How long a finding id is remembered as applied, in seconds (the mark is named once per finding). */
const seenTtlSeconds = 7 * 24 * 3_600;
const historyLength = 100;

/** A client of a tenant, as erasure names it. */
export interface ErasableClient {
  tenant: string;
  clientId: string;
}

export const erasableId = (client: ErasableClient): string => `${client.tenant}\u0000${client.clientId}`;

/** How long an ended group's notification log (and so its notification numbering) is kept. */
const notificationLogRetentionMs = 30 * 24 * 3_600_000;

/**
 * Where the alerter's state lives in Redis and how it is read. Writes are returned as commands so
 * that callers apply them together with their guard (an offset fence or a lease), atomically.
 *
 * An alert's summary, evidence and episode (they quote findings), the detail of its history lines
 * and outbox bodies are sealed at rest (see runtime's sealed.ts) with their Redis key as context;
 * they are opened here, on every read. How each record is laid out is in stored/ (decision 33).
 */
export class AlertStore {
  constructor(
    private readonly redis: Redis,
    readonly key: (...parts: string[]) => string,
    private readonly resolvedRetentionMs: number,
    private readonly sealer: EvidenceSealer,
    /** How long a dead-lettered notification is kept for ListDeadLetters and replay. */
    readonly deadLetterRetentionMs: number = resolvedRetentionMs,
  ) {}

  /** An alert as stored (summary, evidence and episode sealed): what its key holds, and what guards compare. */
  serializeAlert(alert: AlertRecord): string {
    return encodeAlert(this.sealer, this.alertKey(alert.fingerprint), alert);
  }

  /** An outbox item as stored: its body (which quotes alerts' evidence) packed, then sealed with the item's key. */
  serializeNotification(notification: Notification): string {
    return encodeNotification(this.sealer, this.itemKey(notification.id), notification);
  }

  /** An outbox item, its body opened. Items stored in an earlier layout still open. */
  parseNotification(id: string, raw: string): Notification {
    return decodeNotification(this.sealer, this.itemKey(id), id, raw);
  }

  /**
   * An outbox item's metadata (tenant, queue, fingerprints, …); its body is opened only when the
   * group key is made from the body's group labels (see notification-layout.ts).
   */
  parseNotificationMetadata(id: string, raw: string): NotificationMetadata {
    return decodeNotificationMetadata(this.sealer, this.itemKey(id), id, raw);
  }

  /** A stored alert, opened; throws when its sealed fields do not open for this fingerprint's key. */
  parseAlert(fingerprint: string, raw: string): AlertRecord {
    return decodeAlert(this.sealer, this.alertKey(fingerprint), fingerprint, raw);
  }

  alertKey = (fingerprint: string) => this.key("alert", fingerprint);
  ackKey = (fingerprint: string) => this.key("ack", fingerprint);
  historyKey = (fingerprint: string) => this.key("history", fingerprint);
  groupKey = (gid: string) => this.key("group", gid);
  /** A group's members before decision 33 (a set; they are in the group's hash now). */
  legacyGroupAlertsKey = (gid: string) => this.key("group", gid, "alerts");
  /** A group's notification log before decision 33 (they are in the group's hash now). */
  legacyNotificationLogKey = (gid: string) => this.key("group", gid, "nflog");
  /** A group's lease (held while it is flushed or erased from): short, it is named twice per flush. */
  groupLeaseKey = (gid: string) => this.key("gl", gid);
  /**
   * An outbox item: `oi:<id>` for ids made since decision 33 (`msg_` and 16 characters), named three
   * times per webhook; items of older ids stay at `outbox:item:<id>`.
   */
  itemKey = (id: string) => (currentId.test(id) ? this.key("oi", id) : this.key("outbox", "item", id));
  /** Where outbox items are, for a scan, with the length of the key before the id. */
  get itemKeyPatterns(): { pattern: string; idAt: number }[] {
    return [this.key("oi", ""), this.key("outbox", "item", "")].map((prefix) => ({
      pattern: `${prefix}*`,
      idAt: prefix.length,
    }));
  }
  deliveredKey = (id: string) => this.key("outbox", "delivered", id);
  /**
   * A delivery queue: `oq:<queue>` for queues named since decision 33 (a digest, no dot), named three
   * times per webhook; older queues (`<gid>.<receiver digest>.<integration>`) at `outbox:queue:<name>`.
   */
  queueKey = (queue: string) =>
    queue.includes(".") ? this.key("outbox", "queue", queue) : this.key("oq", queue);
  /** A queue's lease (held while its head is sent), named by a digest of the queue: it is named twice per send. */
  queueLeaseKey = (queue: string) =>
    this.key("ql", createHash("sha256").update(queue).digest("base64url").slice(0, 16));
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
    clients: ErasableClient[] = [],
  ): Promise<{ alerts: Map<string, AlertRecord>; seen: Set<string>; erased: Set<string> }> {
    // Seen and erasure marks are strings ("1"): an MGET says which exist, one command for a batch.
    const [alertValues, seenValues, erasedValues] = await mgetEach(this.redis, [
      fingerprints.map(this.alertKey),
      findingIds.map((id) => this.key("seen", id)),
      clients.map((client) => this.erasedKey(client)),
    ]);
    const alerts = new Map<string, AlertRecord>();
    fingerprints.forEach((fingerprint, index) => {
      const value = alertValues?.[index];
      if (typeof value === "string") alerts.set(fingerprint, this.parseAlert(fingerprint, value));
    });
    const seen = new Set(findingIds.filter((_, index) => typeof seenValues?.[index] === "string"));
    const erased = new Set(
      clients.filter((_, index) => typeof erasedValues?.[index] === "string").map(erasableId),
    );
    return { alerts, seen, erased };
  }

  /**
   * The mark an erasure leaves for a while (named by a digest, never the id): findings about the
   * client that were already on their way are dropped instead of bringing its alerts back.
   */
  erasedKey(client: ErasableClient): string {
    return this.key("erased", createHash("sha256").update(erasableId(client)).digest("hex"));
  }

  async getAlert(fingerprint: string): Promise<{ raw: string; alert: AlertRecord } | null> {
    const raw = await this.redis.get(this.alertKey(fingerprint));
    return raw === null ? null : { raw, alert: this.parseAlert(fingerprint, raw) };
  }

  /** Stored values of alerts (null where gone), unopened: callers parse only those they keep. */
  alertValues(fingerprints: readonly string[]): Promise<(string | null)[]> {
    return fingerprints.length === 0 ? Promise.resolve([]) : this.redis.mget(fingerprints.map(this.alertKey));
  }

  /** Firing alerts last heard of at `beforeMs` or earlier, oldest first, `limit` at most. */
  firingHeardBefore(beforeMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.firingKey, "-inf", beforeMs, "LIMIT", 0, limit);
  }

  /** Drops index entries of firing alerts whose record is gone. */
  async forgetFiring(fingerprints: readonly string[]): Promise<void> {
    if (fingerprints.length > 0) await this.redis.zrem(this.firingKey, ...fingerprints);
  }

  /** A page of the dead-letter index after `after` (newest first), and the items' stored values. */
  async deadLetterPage(
    after: PagePosition | null,
    pageSize: number,
  ): Promise<{ rows: PagePosition[]; values: (string | null)[] }> {
    const rows = await membersAfter(this.redis, this.deadKey, after, pageSize);
    if (rows.length === 0) return { rows, values: [] };
    return { rows, values: await this.redis.mget(rows.map((row) => this.itemKey(row.member))) };
  }

  async getAlerts(fingerprints: readonly string[]): Promise<AlertRecord[]> {
    if (fingerprints.length === 0) return [];
    const values = await this.redis.mget(fingerprints.map(this.alertKey));
    return this.parsePresent(fingerprints, values);
  }

  /** The alerts of `values` (MGET of `fingerprints`' keys) that exist, opened. */
  private parsePresent(fingerprints: readonly string[], values: (string | null)[]): AlertRecord[] {
    return values.flatMap((value, index) =>
      value === null ? [] : [this.parseAlert(fingerprints[index] as string, value)],
    );
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

  async history(fingerprint: string): Promise<HistoryEntry[]> {
    const key = this.historyKey(fingerprint);
    const values = await this.redis.lrange(key, 0, historyLength - 1);
    return values.map((value) => decodeHistoryEntry(this.sealer, key, value));
  }

  saveAlertCommands(alert: AlertRecord): GuardedCommand[] {
    const key = this.alertKey(alert.fingerprint);
    const commands: GuardedCommand[] = [
      ["SET", key, this.serializeAlert(alert)],
      ["ZADD", this.indexKey, Date.parse(alert.updatedAt), alert.fingerprint],
    ];
    // Resolved alerts are kept for a while for on-call's history, then expire; firing ones stay.
    if (alert.state === "resolved") {
      commands.push(["PEXPIRE", key, this.resolvedRetentionMs]);
      commands.push(["ZREM", this.firingKey, alert.fingerprint]);
    } else {
      // Scored by when the alerter last heard of it: the resolve-timeout sweep reads silence from it.
      commands.push(["ZADD", this.firingKey, lastHeardMs(alert), alert.fingerprint]);
    }
    return commands;
  }

  /**
   * Appends to an alert's history (the newest 100 lines, kept for the resolved retention after the
   * last); the detail (a finding's summary, a note) is sealed. One guarded command.
   */
  historyCommands(fingerprint: string, event: HistoryEntry): GuardedCommand[] {
    const key = this.historyKey(fingerprint);
    const line = encodeHistoryEntry(this.sealer, key, event);
    return [["LPUSH_CAPPED", key, line, historyLength, this.resolvedRetentionMs]];
  }

  /** The same as historyCommands in plain Redis commands, for a MULTI (acknowledgements). */
  historyRedisCommands(fingerprint: string, event: HistoryEntry): [string, string, ...(string | number)[]][] {
    const key = this.historyKey(fingerprint);
    return [
      ["LPUSH", key, encodeHistoryEntry(this.sealer, key, event)],
      ["LTRIM", key, 0, historyLength - 1],
      ["PEXPIRE", key, this.resolvedRetentionMs],
    ];
  }

  /** Marks a notification delivered (value: its tenant), kept as long as resolved alerts. */
  deliveredCommand(id: string, tenant: string): GuardedCommand {
    return ["SET", this.deliveredKey(id), tenant, "PX", this.resolvedRetentionMs];
  }

  markSeenCommand(findingId: string): GuardedCommand {
    return ["SET", this.key("seen", findingId), "", "EX", seenTtlSeconds];
  }

  /**
   * Puts an alert into a group, creating the group (first flush at `firstFlushAt`) if it is new;
   * `traceparent` (the decision's trace context) is what the group's next flush continues. A group
   * that ended and forms again loses the expiry its notification log was given. `readsAcks`: the
   * alert may already be acknowledged (it joins outside a new episode), so the group's flushes read
   * acknowledgements.
   */
  joinGroupCommands(
    group: GroupRef,
    fingerprint: string,
    firstFlushAt: number,
    options: { traceparent?: string | undefined; readsAcks?: boolean } = {},
  ): GuardedCommand[] {
    const key = this.groupKey(group.gid);
    const { traceparent } = options;
    return [
      [
        "HSET",
        key,
        ...groupMetaFields(group, [fingerprint]),
        ...(traceparent ? [groupField.traceparent, storedTraceparent(traceparent)] : []),
        ...(options.readsAcks ? [groupField.readsAcks, "1"] : []),
        memberField(fingerprint),
        "",
      ],
      ["PERSIST", key],
      ["ZADD", this.groupsDueKey, "NX", firstFlushAt, group.gid],
    ];
  }

  /**
   * Alerts by most recent change after `after` (a previous page's end), each with its index
   * position; an alert that expired leaves its position without an alert, and its stale index
   * entry is pruned on the way (safe while paging: pages continue from positions).
   */
  async listByRecency(
    after: PagePosition | null,
    count: number,
  ): Promise<{ position: PagePosition; alert: AlertRecord | undefined }[]> {
    const positions = await membersAfter(this.redis, this.indexKey, after, count);
    if (positions.length === 0) return [];
    const values = await this.redis.mget(positions.map((position) => this.alertKey(position.member)));
    const stale = positions.filter((_, index) => values[index] === null).map((position) => position.member);
    if (stale.length > 0) await this.redis.zrem(this.indexKey, ...stale);
    return positions.map((position, index) => {
      const value = values[index];
      return {
        position,
        alert: typeof value === "string" ? this.parseAlert(position.member, value) : undefined,
      };
    });
  }

  /** Firing alerts (most recently updated first), at most `limit`. */
  async firingAlerts(limit: number): Promise<AlertRecord[]> {
    return this.getAlerts(await this.redis.zrevrange(this.firingKey, 0, limit - 1));
  }

  /**
   * Ends a group: its hash keeps only its notification log, for a while (see endedEntry), so a group
   * that comes back never reuses a `webhook-id` a receiver has seen, and knows when its key last
   * notified. A group stored before decision 33 (`legacy`) loses its other two keys as well.
   * (Used by the group flusher, and by erasure for a group whose alerts all went.)
   */
  endGroupCommands(
    gid: string,
    entries: ReadonlyMap<string, NotificationLogEntry>,
    legacy: boolean,
  ): GuardedCommand[] {
    const key = this.groupKey(gid);
    const log = [...entries].flatMap(([field, entry]) => [
      logEntryField(field),
      // What was told is forgotten: no fingerprint is left to write.
      encodeLogEntry(endedEntry(entry), undefined),
    ]);
    return [
      ["DEL", key],
      ...(legacy
        ? ([
            ["DEL", this.legacyGroupAlertsKey(gid)],
            ["DEL", this.legacyNotificationLogKey(gid)],
          ] as GuardedCommand[])
        : []),
      ...(log.length > 0
        ? ([
            ["HSET", key, ...log],
            ["PEXPIRE", key, notificationLogRetentionMs],
          ] as GuardedCommand[])
        : []),
      ["ZREM", this.groupsDueKey, gid],
    ];
  }

  /**
   * The stored alerts of `tenant` that `match` picks, as stored (sealed fields not opened): the whole
   * recency index is read, page by page, before anything is returned. For decisions on labels,
   * tenant or client only (erasure).
   */
  async findStoredAlerts(
    tenant: string,
    match: (stored: StoredAlert) => boolean,
    pageSize = 500,
  ): Promise<{ raw: string; stored: StoredAlert }[]> {
    const found: { raw: string; stored: StoredAlert }[] = [];
    for (let offset = 0; ; offset += pageSize) {
      const fingerprints = await this.redis.zrange(this.indexKey, offset, offset + pageSize - 1);
      if (fingerprints.length === 0) return found;
      const values = await this.redis.mget(fingerprints.map(this.alertKey));
      values.forEach((raw, index) => {
        if (raw === null) return;
        const stored = decodeStoredAlert(fingerprints[index] as string, raw);
        if (stored.tenant === tenant && match(stored)) found.push({ raw, stored });
      });
      if (fingerprints.length < pageSize) return found;
    }
  }
}

/** The values of each list of keys (an MGET each, empty lists skipped), in one round trip. */
export async function mgetEach(redis: Redis, lists: string[][]): Promise<(string | null)[][]> {
  if (lists.every((keys) => keys.length === 0)) return lists.map(() => []);
  const pipeline = redis.pipeline();
  for (const keys of lists) if (keys.length > 0) pipeline.mget(keys);
  const replies = ((await pipeline.exec()) ?? []).values();
  return lists.map((keys) => {
    if (keys.length === 0) return [];
    const [error, values] = replies.next().value ?? [new Error("no reply"), null];
    if (error) throw error;
    return values as (string | null)[];
  });
}
