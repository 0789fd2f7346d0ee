import { createHash, randomUUID } from "node:crypto";
import { type AuditLog, type GuardedCommand, grpcError, releaseLease, runGuarded } from "@argus/runtime";
import { status } from "@grpc/grpc-js";
import {
  type Acknowledgement,
  type AlertRecord,
  FindingKind,
  resolveWithout,
  Severity,
} from "../domain/alert.js";
import { episodeWithoutSamples } from "../domain/episode.js";
import { groupsFor } from "../domain/grouping.js";
import { integrationName, type Notification } from "../domain/notification.js";
import type { NotificationLogEntry } from "../domain/notification-log.js";
import { notificationBody } from "../domain/payloads.js";
import type { AlertStore, StoredAlert } from "./alert-store.js";
import { type DispatcherDeps, targetOf } from "./outbox-dispatcher.js";
import { enableReceiver } from "./receiver-state.js";
import type { LoadedRouting, RoutingConfigSource } from "./routing-config-source.js";
import { sendWebhook } from "./webhook-sender.js";

/** ZADD XX of a group's due time, only when the group has flushed before (it has a regularAt). */
const wakeIfFlushed = `if redis.call('HEXISTS', KEYS[2], 'regularAt') == 1 then
  return redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[2])
end
return 0`;

const notFound = (what: string) => grpcError(status.NOT_FOUND, what);

/** How long findings about an erased client are dropped: longer than any detector's in-flight batch. */
const erasureMarkMs = 10 * 60_000;

/** What an erased client's evidence is replaced with in an alert about a model that stays. */
export const redactedSummary = "(redacted: the client this evidence came from was erased)";

/** What EraseClient removed and redacted. */
export interface ClientErasure {
  keysRemoved: number;
  alertsRemoved: number;
  alertsRedacted: number;
  notificationsRemoved: number;
}

/**
 * What on-call can do to alerts and the outbox, with who did it recorded. Every lookup is scoped to
 * the caller's tenant: another tenant's alert or notification is "not found", never "forbidden",
 * so ids do not leak across tenants.
 */
export class AlertActions {
  constructor(
    private readonly store: AlertStore,
    private readonly routing: RoutingConfigSource,
    private readonly http: DispatcherDeps["http"],
    private readonly wake: { groups: () => void; outbox: () => void },
    private readonly audit: AuditLog,
  ) {}

  /** Appends to the deployment's audit log: who changed what, for whom. */
  async record(
    actor: string,
    tenant: string,
    action: string,
    target: string,
    detail: Record<string, string> = {},
  ) {
    await this.audit.append({ actor, tenant, action, target, detail });
  }

  async alertOf(tenant: string, fingerprint: string): Promise<{ raw: string; alert: AlertRecord }> {
    const found = await this.store.getAlert(fingerprint);
    if (!found || found.alert.tenant !== tenant) throw notFound(`no alert with fingerprint ${fingerprint}`);
    return found;
  }

  async acknowledge(tenant: string, actor: string, fingerprint: string, note: string): Promise<AlertRecord> {
    const { alert } = await this.alertOf(tenant, fingerprint);
    if (alert.state !== "firing")
      throw grpcError(status.FAILED_PRECONDITION, "only a firing alert can be acknowledged");
    const ack: Acknowledgement = { by: actor, at: new Date().toISOString(), note, episode: alert.startsAt };
    await this.write(alert, [
      ["SET", this.store.ackKey(fingerprint), JSON.stringify(ack), "PX", 30 * 24 * 3_600_000],
      ...this.store.historyCommands(fingerprint, { at: ack.at, action: "acknowledged", actor, detail: note }),
    ]);
    await this.record(actor, tenant, "alerter.acknowledge", fingerprint, { note });
    return alert;
  }

  async unacknowledge(tenant: string, actor: string, fingerprint: string): Promise<AlertRecord> {
    const { alert } = await this.alertOf(tenant, fingerprint);
    await this.write(alert, [
      ["DEL", this.store.ackKey(fingerprint)],
      ...this.store.historyCommands(fingerprint, {
        at: new Date().toISOString(),
        action: "unacknowledged",
        actor,
      }),
    ]);
    await this.record(actor, tenant, "alerter.unacknowledge", fingerprint);
    return alert;
  }

  /** Writes an acknowledgement change and wakes the alert's groups so receivers that care hear of it now. */
  private async write(alert: AlertRecord, commands: GuardedCommand[]): Promise<void> {
    const now = Date.now();
    const pipeline = this.store.redis.multi();
    for (const [verb, key, ...args] of commands) pipeline.call(verb, key, ...args.map(String));
    // Only a group that has notified before is woken: one still in group_wait keeps its first
    // flush time, and that first notification carries the acknowledgement anyway.
    for (const group of groupsFor(this.routing.current, alert)) {
      pipeline.eval(
        wakeIfFlushed,
        2,
        this.store.groupsDueKey,
        this.store.groupKey(group.gid),
        now,
        group.gid,
      );
    }
    await pipeline.exec();
    this.wake.groups();
  }

  /**
   * Ends a firing episode (by hand, or the resolve timeout); compare-and-set on the stored alert so
   * a finding that arrives meanwhile is never overwritten. Returns null when it was not firing.
   */
  async resolve(
    alertNow: { raw: string; alert: AlertRecord },
    by: string,
    at: Date,
    note?: string,
  ): Promise<AlertRecord | null> {
    let current = alertNow;
    for (let attempt = 0; attempt < 5; attempt++) {
      const resolved = resolveWithout(current.alert, by, at);
      if (!resolved) return null;
      const groups = groupsFor(this.routing.current, resolved).flatMap((group) =>
        this.store.joinGroupCommands(group, resolved.fingerprint, at.getTime()),
      );
      const written = await runGuarded(this.store.redis, {
        key: this.store.alertKey(resolved.fingerprint),
        expected: current.raw,
        next: this.store.serializeAlert(resolved),
        commands: [
          ...this.store.saveAlertCommands(resolved).filter(([verb]) => verb !== "SET"),
          ...this.store.historyCommands(resolved.fingerprint, {
            at: new Date().toISOString(),
            action: "resolved",
            actor: by,
            ...(note ? { detail: note } : {}),
          }),
          ...groups,
        ],
      });
      if (written) {
        this.wake.groups();
        return resolved;
      }
      const again = await this.store.getAlert(current.alert.fingerprint);
      if (!again) return null;
      current = again;
    }
    throw new Error("the alert kept changing while resolving it");
  }

  /** Back into its queue at its place (same id, same sequence), with a fresh retry budget. */
  async replay(tenant: string, actor: string, id: string): Promise<Notification> {
    const raw = await this.store.redis.get(this.store.itemKey(id));
    const item = raw === null ? null : this.store.parseNotification(id, raw);
    if (!item && (await this.store.redis.get(this.store.deliveredKey(id))) === tenant)
      throw grpcError(
        status.FAILED_PRECONDITION,
        `notification ${id} was delivered; it is not dead-lettered`,
      );
    if (!item || item.tenant !== tenant) throw notFound(`no notification with id ${id}`);
    if (!item.deadAt) throw grpcError(status.FAILED_PRECONDITION, `notification ${id} is not dead-lettered`);
    const { deadAt: _deadAt, deadReason, lastError: _lastError, ...rest } = item;
    const now = new Date();
    const replayed: Notification = {
      ...rest,
      attempts: 0,
      createdAt: now.toISOString(),
      replays: (item.replays ?? 0) + 1,
    };
    const written = await runGuarded(this.store.redis, {
      key: this.store.itemKey(id),
      expected: raw as string,
      next: this.store.serializeNotification(replayed),
      commands: [
        ["ZREM", this.store.deadKey, id],
        ["ZADD", this.store.queueKey(item.queue), "NX", item.sequence, id],
        ["ZADD", this.store.dueKey, "NX", now.getTime(), id],
        ...item.fingerprints.flatMap((fingerprint) =>
          this.store.historyCommands(fingerprint, {
            at: now.toISOString(),
            action: "replayed",
            actor,
            notificationId: id,
            receiver: item.receiver,
            detail: `dead because: ${deadReason ?? "?"}`,
          }),
        ),
      ],
    });
    if (!written) throw grpcError(status.ABORTED, `notification ${id} changed meanwhile; try again`);
    await this.record(actor, tenant, "alerter.replay_dead_letter", id, { receiver: item.receiver });
    this.wake.outbox();
    return replayed;
  }

  /** Sends a test notification to each integration of `receiver` now; a 2xx re-enables a disabled one. */
  async testReceiver(actor: string, tenant: string, receiverName: string) {
    const receiver = this.routing.current.receivers.get(receiverName);
    if (!receiver) throw notFound(`no receiver named ${receiverName}`);
    const now = new Date();
    const alert = testAlert(tenant, now);
    const results = [];
    for (const [index, integration] of receiver.integrations.entries()) {
      const name = integrationName(receiver.name, integration, index);
      const body = notificationBody(
        { ...integration, sendResolved: true },
        {
          receiver: receiver.name,
          groupKey: `${tenant}/test`,
          groupLabels: { alertname: "ArgusTestNotification" },
          alerts: [alert],
          acknowledged: new Set(),
          reason: "test",
          externalUrl: this.routing.current.externalUrl,
          now,
        },
      );
      const outcome = await sendWebhook(
        targetOf(integration, this.http),
        { id: `msg_test_${randomUUID()}`, body: body ?? "{}" },
        {},
        now,
      );
      const delivered = outcome.kind === "response" && outcome.status >= 200 && outcome.status < 300;
      if (delivered) await enableReceiver(this.store, receiver.name, index);
      results.push({
        integration: name,
        delivered,
        httpStatus: outcome.kind === "response" ? outcome.status : 0,
        error: delivered ? "" : outcome.kind === "response" ? `HTTP ${outcome.status}` : outcome.message,
      });
    }
    await this.record(actor, tenant, "alerter.test_receiver", receiverName, {
      results: results.map((r) => `${r.integration}=${r.delivered ? "delivered" : r.error}`).join("; "),
    });
    this.wake.outbox();
    return results;
  }

  /**
   * Re-reads the configuration (a bad one throws and the running one stays), re-enables receivers
   * (an operator just changed them), and puts every firing alert into the groups of the new tree;
   * groups whose route is gone are dropped by the flusher.
   */
  async reload(actor: string, tenant: string): Promise<LoadedRouting> {
    let loaded: LoadedRouting;
    try {
      loaded = this.routing.reload();
    } catch (error) {
      await this.record(actor, tenant, "alerter.reload_config_rejected", "routing", {
        error: (error as Error).message,
      });
      throw grpcError(
        status.FAILED_PRECONDITION,
        `configuration not reloaded, the running one stays: ${(error as Error).message}`,
      );
    }
    const receivers = [...loaded.config.receivers.values()];
    await Promise.all(
      receivers.flatMap((receiver) =>
        receiver.integrations.map((_, index) => enableReceiver(this.store, receiver.name, index)),
      ),
    );
    const now = Date.now();
    const pipeline = this.store.redis.pipeline();
    for (const alert of await this.store.firingAlerts(100_000)) {
      for (const group of groupsFor(loaded.config, alert)) {
        for (const [verb, key, ...args] of this.store.joinGroupCommands(group, alert.fingerprint, now)) {
          pipeline.call(verb, key, ...args.map(String));
        }
      }
    }
    await pipeline.exec();
    await this.record(actor, tenant, "alerter.reload_config", "routing", { hash: loaded.hash });
    this.wake.groups();
    return loaded;
  }

  /**
   * Erases a client of `tenant` (GDPR Art. 17): alerts about it (their labels name it) go, with their
   * acknowledgement, history, group memberships and the notifications that speak of them (pending or
   * dead-lettered, unsent: a notification about several alerts goes as a whole); an alert about a
   * model whose summary and evidence came from the client stays, with both redacted. Every write is
   * a compare-and-set against what was read (or under the group's or queue's lease), so a concurrent
   * finding, flush or delivery is never overwritten. Recorded in the audit log by the client's digest.
   */
  async eraseClient(tenant: string, actor: string, clientId: string): Promise<ClientErasure> {
    // First the mark: findings about the client that arrive while (or just after) it is erased are dropped.
    await this.store.redis.set(this.store.erasedKey({ tenant, clientId }), "1", "PX", erasureMarkMs);
    const about = (alert: StoredAlert) => alert.labels?.client === clientId;
    const from = (alert: StoredAlert) => alert.clientId === clientId || alert.evidence?.client === clientId;
    const found = await this.store.findStoredAlerts(tenant, (alert) => about(alert) || from(alert));
    const erasure: ClientErasure = {
      keysRemoved: 0,
      alertsRemoved: 0,
      alertsRedacted: 0,
      notificationsRemoved: 0,
    };
    const removed: StoredAlert[] = [];
    for (const { raw, stored } of found) {
      if (about(stored)) {
        erasure.keysRemoved += await this.removeAlert(stored.fingerprint, raw);
        erasure.alertsRemoved++;
        removed.push(stored);
      } else if (await this.redactAlert(stored.fingerprint, raw, clientId)) {
        erasure.alertsRedacted++;
      }
    }
    if (removed.length > 0) {
      const fingerprints = new Set(removed.map((alert) => alert.fingerprint));
      erasure.keysRemoved += await this.removeFromGroups(removed, fingerprints);
      erasure.notificationsRemoved = await this.removeNotifications(tenant, fingerprints);
      erasure.keysRemoved += erasure.notificationsRemoved;
      this.wake.outbox();
    }
    await this.record(actor, tenant, "alerter.erase_client", `client-sha256:${digest(clientId)}`, {
      keys_removed: String(erasure.keysRemoved),
      alerts_removed: String(erasure.alertsRemoved),
      alerts_redacted: String(erasure.alertsRedacted),
      notifications_removed: String(erasure.notificationsRemoved),
    });
    return erasure;
  }

  /** Deletes an alert with its acknowledgement and history; returns the number of keys deleted. */
  private async removeAlert(fingerprint: string, raw: string): Promise<number> {
    const { store } = this;
    const key = store.alertKey(fingerprint);
    let current: string | null = raw;
    for (let attempt = 0; current !== null; attempt++) {
      const [ack, history] = await Promise.all([
        store.redis.exists(store.ackKey(fingerprint)),
        store.redis.exists(store.historyKey(fingerprint)),
      ]);
      const written = await runGuarded(store.redis, {
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
      if (attempt >= 10) throw new Error(`alert ${fingerprint} kept changing while erasing it`);
      current = await store.redis.get(key);
    }
    return 0;
  }

  /** Replaces summary and evidence that came from the client; false when they no longer do. */
  private async redactAlert(fingerprint: string, raw: string, clientId: string): Promise<boolean> {
    const { store } = this;
    let current: string | null = raw;
    for (let attempt = 0; current !== null; attempt++) {
      const alert = store.parseAlert(fingerprint, current);
      if (alert.clientId !== clientId && alert.evidence.client !== clientId) return false;
      const { clientId: _client, ...rest } = alert;
      // The sample may hold the client's event ids too; which ones is not known, so none stay.
      const episode = { ...alert.episode, firstEventIds: [], latestEventIds: [] };
      const redacted: AlertRecord = { ...rest, summary: redactedSummary, evidence: {}, episode };
      const written = await runGuarded(store.redis, {
        key: store.alertKey(fingerprint),
        expected: current,
        next: store.serializeAlert(redacted),
        // Rewriting the key drops its expiry: a resolved alert gets its retention back.
        commands: store.saveAlertCommands(redacted).filter(([verb]) => verb !== "SET"),
      });
      if (written) return true;
      if (attempt >= 10) throw new Error(`alert ${fingerprint} kept changing while redacting it`);
      current = await store.redis.get(store.alertKey(fingerprint));
    }
    return false;
  }

  /**
   * Takes the alerts out of every group that holds them (and out of the groups' notification logs),
   * under each group's lease; a group left empty ends. Returns the number of keys deleted.
   */
  private async removeFromGroups(alerts: StoredAlert[], fingerprints: Set<string>): Promise<number> {
    const { store } = this;
    const gids = new Set(alerts.flatMap((alert) => groupsFor(this.routing.current, alert).map((g) => g.gid)));
    const fps = [...fingerprints];
    const live = await store.redis.zrange(store.groupsDueKey, 0, -1);
    const pipeline = store.redis.pipeline();
    for (const gid of live) pipeline.smismember(store.groupAlertsKey(gid), ...fps);
    const replies = (await pipeline.exec()) ?? [];
    live.forEach((gid, index) => {
      const [error, flags] = replies[index] ?? [null, []];
      if (error) throw error;
      if ((flags as number[]).some((flag) => flag === 1)) gids.add(gid);
    });
    let keysRemoved = 0;
    for (const gid of gids) {
      keysRemoved += await this.underLease(store.groupLeaseKey(gid), 35_000, async () => {
        const [members, log, exists] = await Promise.all([
          store.redis.smembers(store.groupAlertsKey(gid)),
          store.redis.hgetall(store.notificationLogKey(gid)),
          store.redis.exists(store.groupKey(gid), store.groupAlertsKey(gid)),
        ]);
        const entries = new Map(
          Object.entries(log).map(([field, value]) => [field, JSON.parse(value) as NotificationLogEntry]),
        );
        const scrubbed = new Map(
          [...entries].map(([field, entry]) => [
            field,
            {
              ...entry,
              firing: entry.firing.filter((fp) => !fingerprints.has(fp)),
              resolved: entry.resolved.filter((fp) => !fingerprints.has(fp)),
            },
          ]),
        );
        const leaving = members.filter((fp) => fingerprints.has(fp));
        if (leaving.length > 0 && leaving.length === members.length)
          return { commands: store.endGroupCommands(gid, scrubbed), keys: exists };
        const commands: GuardedCommand[] = [];
        if (leaving.length > 0) commands.push(["SREM", store.groupAlertsKey(gid), ...leaving]);
        for (const [field, entry] of scrubbed) {
          const before = entries.get(field) as NotificationLogEntry;
          if (
            entry.firing.length !== before.firing.length ||
            entry.resolved.length !== before.resolved.length
          )
            commands.push(["HSET", store.notificationLogKey(gid), field, JSON.stringify(entry)]);
        }
        return { commands, keys: 0 };
      });
    }
    return keysRemoved;
  }

  /**
   * Removes the tenant's outbox items (pending or dead-lettered) that speak of any of `fingerprints`,
   * under their queue's lease (never while one is being sent); the next of its queue becomes due.
   */
  private async removeNotifications(tenant: string, fingerprints: Set<string>): Promise<number> {
    const { store } = this;
    const ids: string[] = [];
    const prefix = store.itemKey("");
    let cursor = "0";
    do {
      const [next, keys] = await store.redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1_000);
      cursor = next;
      if (keys.length === 0) continue;
      const values = await store.redis.mget(keys);
      values.forEach((value) => {
        if (value === null) return;
        const item = JSON.parse(value) as Notification;
        if (item.tenant === tenant && item.fingerprints.some((fp) => fingerprints.has(fp))) ids.push(item.id);
      });
    } while (cursor !== "0");
    let removed = 0;
    // A send holds the queue at most twice the webhook timeout and 5 s (see the dispatcher).
    const wait = this.http.timeoutMs * 2 + 6_000;
    for (const id of [...new Set(ids)]) {
      const raw = await store.redis.get(store.itemKey(id));
      if (raw === null) continue; // delivered meanwhile
      const { queue } = JSON.parse(raw) as Notification;
      removed += await this.underLease(store.queueLeaseKey(queue), wait, async () => {
        const [exists, head] = await Promise.all([
          store.redis.exists(store.itemKey(id)),
          store.redis.zrange(store.queueKey(queue), 0, 1),
        ]);
        const commands: GuardedCommand[] = [
          ["DEL", store.itemKey(id)],
          ["ZREM", store.queueKey(queue), id],
          ["ZREM", store.dueKey, id],
          ["ZREM", store.deadKey, id],
        ];
        // Only a queue's head is sent: when the head goes, the next one must become due.
        if (head[0] === id && head[1] !== undefined)
          commands.push(["ZADD", store.dueKey, "NX", Date.now(), head[1]]);
        return { commands, keys: exists };
      });
    }
    return removed;
  }

  /**
   * Runs `plan` while holding `lease` (waiting up to `waitMs` for its holder) and applies its
   * commands guarded by the lease; returns the plan's key count once written.
   */
  private async underLease(
    lease: string,
    waitMs: number,
    plan: () => Promise<{ commands: GuardedCommand[]; keys: number }>,
  ): Promise<number> {
    const { redis } = this.store;
    const owner = randomUUID();
    const deadline = Date.now() + waitMs;
    while ((await redis.set(lease, owner, "PX", 30_000, "NX")) !== "OK") {
      if (Date.now() > deadline) throw grpcError(status.UNAVAILABLE, "busy; erasure not finished, try again");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    try {
      const { commands, keys } = await plan();
      if (commands.length === 0) return 0;
      const written = await runGuarded(redis, { key: lease, expected: owner, commands });
      if (!written) throw grpcError(status.UNAVAILABLE, "lease lost; erasure not finished, try again");
      return keys;
    } finally {
      await releaseLease(redis, lease, owner);
    }
  }
}

function digest(clientId: string): string {
  return createHash("sha256").update(clientId, "utf8").digest("hex");
}

function testAlert(tenant: string, now: Date): AlertRecord {
  return {
    fingerprint: "argus-test-notification",
    tenant,
    modelId: "argus",
    kind: FindingKind.FINDING_KIND_ARGUS_HEALTH,
    severity: Severity.SEVERITY_INFO,
    labels: { alertname: "ArgusTestNotification", severity: "info" },
    summary: "Test notification from Argus: this receiver is reachable.",
    evidence: {},
    state: "firing",
    startsAt: now.toISOString(),
    updatedAt: now.toISOString(),
    findingCount: 0,
    lastFindingId: "",
    episode: episodeWithoutSamples(now.toISOString(), now.toISOString()),
    notificationSeq: 0,
  };
}
