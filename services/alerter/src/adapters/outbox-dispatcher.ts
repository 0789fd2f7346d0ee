import {
  extractTraceContext,
  type GuardedCommand,
  injectTraceContext,
  inSpan,
  type Logger,
  leaseOwner,
  PollingWorker,
  type PublishFindings,
  type Redis,
  releaseLeases,
  SpanKind,
  type Tracer,
  untraced,
} from "@argus/runtime";
import type { Dispatcher } from "undici";
import {
  afterFailure,
  afterSuccess,
  breakerAllows,
  defaultBreakerPolicy,
} from "../domain/circuit-breaker.js";
import {
  type AttemptOutcome,
  type DeliveryPolicy,
  decideAfterAttempt,
  strainsReceiver,
} from "../domain/delivery-policy.js";
import { receiverDisabledFinding } from "../domain/meta-alerts.js";
import { integrationName, type Notification } from "../domain/notification.js";
import type { AlerterRoutingConfig, Integration } from "../domain/routing/config.js";
import type { AlertStore } from "./alert-store.js";
import type { EgressPolicy } from "./egress.js";
import {
  breakerCommand,
  disableCommand,
  parseReceiverState,
  type ReceiverState,
  receiverStateFields,
} from "./receiver-state.js";
import { sendWebhook, type WebhookTarget } from "./webhook-sender.js";
import { WriteBatcher } from "./write-batcher.js";

/** A queue's head candidate whose queue this replica leased, with what was read under the lease. */
interface Claimed {
  notification: Notification;
  lease: string;
  /** The queue's first two ids: its head and the one that follows. */
  queue: string[];
  health: ReceiverHealth;
}

/** An integration's health as this pass knows it: read once, then updated by each answer. */
interface ReceiverHealth extends ReceiverState {
  acceptedThisPass: boolean;
}

export interface DispatcherDeps {
  /** The store names the keys; the dispatcher reads and writes them in its own pipelines. */
  redis: Redis;
  store: AlertStore;
  routing: () => AlerterRoutingConfig;
  http: { timeoutMs: number; egress: EgressPolicy; dispatcher: Dispatcher };
  policy: DeliveryPolicy;
  tracer: Tracer;
  logger: Logger;
  pollMs: number;
  publishFindings: PublishFindings;
  clock?: () => Date;
  random?: () => number;
}

/** Where an integration sends, and with which signing secrets. */
export function targetOf(integration: Integration, http: DispatcherDeps["http"]): WebhookTarget {
  const signingSecrets = integration.type === "slack" ? [] : integration.signingSecrets;
  return { url: integration.url, signingSecrets, ...http };
}

/** Most notifications looked at (and sent at once, one per queue) in one pass. */
const passLimit = 50;

/**
 * Delivers the outbox. Each queue (one group × integration) is leased by one replica at a time and
 * sends only its head, so a group's notifications arrive in order and two replicas never send the
 * same one at once. A notification leaves the outbox only on 2xx, or to the dead-letter list; a crash
 * between storing and sending only delays it: after restart it is sent with the same `webhook-id`.
 *
 * A pass looks at up to 50 due items, one per queue, in a few round trips whatever their number:
 * the items, the receivers' health, then the queues' leases and heads, taken just before sending;
 * the outcomes are written in shared scripts as they come (WriteBatcher), each releasing its lease.
 */
export class OutboxDispatcher extends PollingWorker {
  private readonly owner = leaseOwner();
  private readonly clock: () => Date;
  private readonly random: () => number;
  private readonly writes: WriteBatcher;

  constructor(private readonly deps: DispatcherDeps) {
    super("outbox", deps.pollMs, deps.logger);
    this.clock = deps.clock ?? (() => new Date());
    this.random = deps.random ?? Math.random;
    this.writes = new WriteBatcher(deps.redis, this.owner);
  }

  protected async pass(): Promise<void> {
    const { store } = this.deps;
    const now = this.clock().getTime();
    const due = await this.deps.redis.zrangebyscore(store.dueKey, "-inf", now, "LIMIT", 0, passLimit);
    if (due.length === 0 || !this.running) return;
    const { heads, gone, sameQueue } = this.onePerQueue(
      due,
      await this.deps.redis.mget(due.map(store.itemKey)),
    );
    const byIntegration = new Map<string, Notification[]>();
    for (const notification of heads) {
      const key = store.receiverStateKey(notification.receiver, notification.integration);
      const items = byIntegration.get(key) ?? [];
      items.push(notification);
      byIntegration.set(key, items);
    }
    const health = await this.readHealth([...byIntegration.keys()], gone);
    const claimed = await settled(
      [...byIntegration].map(([key, items]) => this.deliverAll(items, health.get(key) as ReceiverHealth)),
    );
    // A full page, or a queue with more than one due item, means more is due now: look again at once.
    if (claimed.reduce((sum, n) => sum + n, 0) > 0 && (due.length === passLimit || sameQueue)) this.wake();
  }

  /**
   * The first due item of each queue (only a queue's head is ever sent, and its lease is taken
   * once), due ids whose item is gone (delivered or erased meanwhile), and whether a queue had more
   * than one due item.
   */
  private onePerQueue(
    due: string[],
    raws: (string | null)[],
  ): { heads: Notification[]; gone: string[]; sameQueue: boolean } {
    const heads = new Map<string, Notification>();
    const gone: string[] = [];
    let sameQueue = false;
    due.forEach((id, index) => {
      const raw = raws[index];
      if (raw === null || raw === undefined) {
        gone.push(id);
        return;
      }
      let notification: Notification;
      try {
        notification = this.deps.store.parseNotification(id, raw);
      } catch (error) {
        // One item that does not open holds back no other queue.
        this.deps.logger.error({ err: (error as Error).message, id }, "outbox item not readable");
        return;
      }
      if (heads.has(notification.queue)) sameQueue = true;
      else heads.set(notification.queue, notification);
    });
    return { heads: [...heads.values()], gone, sameQueue };
  }

  /** The health of the pass's integrations (by receiverStateKey), read together; gone ids leave the due set. */
  private async readHealth(keys: string[], gone: string[]): Promise<Map<string, ReceiverHealth>> {
    const { store } = this.deps;
    const pipeline = this.deps.redis.pipeline();
    for (const key of keys) pipeline.hmget(key, ...receiverStateFields);
    if (gone.length > 0) pipeline.zrem(store.dueKey, ...gone);
    const replies = (await pipeline.exec()) ?? [];
    return new Map(
      keys.map((key, index) => {
        const [error, fields] = replies[index] ?? [new Error("no reply"), null];
        if (error) throw error;
        return [key, { ...parseReceiverState(fields as (string | null)[]), acceptedThisPass: false }];
      }),
    );
  }

  /**
   * Delivers the heads of one integration's queues: one at a time until the receiver accepts one in
   * this pass, then all the others at once. A receiver that is down meets its notifications one
   * by one, so the breaker and a 410 stop them as they always did. Returns how many were claimed.
   */
  private async deliverAll(items: Notification[], health: ReceiverHealth): Promise<number> {
    let next = 0;
    let claimed = 0;
    while (next < items.length && !health.acceptedThisPass && this.running) {
      for (const item of await this.claim([items[next++] as Notification], health)) {
        claimed++;
        await this.deliver(item);
      }
    }
    if (next >= items.length || !this.running) return claimed;
    const rest = await this.claim(items.slice(next), health);
    await settled(rest.map((item) => this.deliver(item)));
    return claimed + rest.length;
  }

  /**
   * Takes the lease of each item's queue and reads the queue's first two ids under it, in one round
   * trip (Redis runs a pipeline's commands in order), right before sending: a lease covers one
   * attempt. Queues leased by another replica are left to it.
   */
  private async claim(items: Notification[], health: ReceiverHealth): Promise<Claimed[]> {
    const { store, logger } = this.deps;
    // Whole seconds (shorter to send than milliseconds), rounded up.
    const leaseSeconds = Math.ceil((this.deps.http.timeoutMs * 2 + 5_000) / 1_000);
    const pipeline = this.deps.redis.pipeline();
    for (const notification of items) {
      pipeline.set(store.queueLeaseKey(notification.queue), this.owner, "EX", leaseSeconds, "NX");
      pipeline.zrange(store.queueKey(notification.queue), 0, 1);
    }
    const replies = (await pipeline.exec()) ?? [];
    const claimed: Claimed[] = [];
    const unread: string[] = [];
    items.forEach((notification, index) => {
      if (replies[index * 2]?.[1] !== "OK") return;
      const lease = store.queueLeaseKey(notification.queue);
      const [error, queue] = replies[index * 2 + 1] ?? [new Error("no reply"), null];
      if (error) {
        unread.push(lease);
        logger.error({ err: error.message, id: notification.id }, "outbox queue not readable");
        return;
      }
      claimed.push({ notification, lease, queue: queue as string[], health });
    });
    await releaseLeases(this.deps.redis, this.owner, unread);
    return claimed;
  }

  /** Delivers a claimed head: its lease goes with the outcome's write, or is released on a failure. */
  private async deliver(item: Claimed): Promise<void> {
    try {
      if (this.running) await this.deliverHead(item);
      else await releaseLeases(this.deps.redis, this.owner, [item.lease]);
    } catch (error) {
      await releaseLeases(this.deps.redis, this.owner, [item.lease]).catch(() => {});
      throw error;
    }
  }

  private async deliverHead(item: Claimed): Promise<void> {
    const { store } = this.deps;
    const { notification, lease, queue, health } = item;
    if (queue[0] !== notification.id) {
      // Not the head: it waits until the notifications before it are done (they re-add it).
      await this.guarded(lease, [
        ["ZREM", store.dueKey, notification.id],
        ...(queue[0]
          ? ([["ZADD", store.dueKey, "NX", this.clock().getTime(), queue[0]]] as GuardedCommand[])
          : []),
      ]);
      return;
    }
    const nextInQueue = queue[1];
    const integration = this.deps.routing().receivers.get(notification.receiver)?.integrations[
      notification.integration
    ];
    if (!integration || integration.type !== notification.integrationType) {
      await this.deadLetter(notification, lease, nextInQueue, "receiver is no longer configured", []);
      return;
    }
    if (health.disabled) {
      await this.deadLetter(
        notification,
        lease,
        nextInQueue,
        `receiver disabled: ${health.disabled.reason}`,
        [],
      );
      return;
    }
    const now = this.clock();
    if (!breakerAllows(health.breaker, now.getTime())) {
      // Circuit open: wait for it without spending an attempt.
      await this.guarded(lease, [["ZADD", store.dueKey, health.breaker.openUntil, notification.id]]);
      return;
    }
    await this.attempt(notification, integration, lease, nextInQueue, health);
  }

  private async attempt(
    notification: Notification,
    integration: Integration,
    lease: string,
    nextInQueue: string | undefined,
    health: ReceiverHealth,
  ): Promise<void> {
    const { store, tracer, policy, logger } = this.deps;
    const parent = extractTraceContext(
      notification.traceparent ? { traceparent: notification.traceparent } : {},
    );
    await inSpan(
      tracer,
      "alerter.deliver_webhook",
      parent,
      {
        "argus.notification.id": notification.id,
        "argus.receiver": notification.receiver,
        "argus.group.id": notification.gid,
      },
      async (span, ctx) => {
        const now = this.clock();
        const outcome = await sendWebhook(
          targetOf(integration, this.deps.http),
          notification,
          injectTraceContext(ctx, {}),
          now,
        );
        // Retry-After (and the backoff) count from the answer, not from when the request left.
        const answeredAt = this.clock();
        const attempts = notification.attempts + 1;
        const decision = decideAfterAttempt(
          outcome,
          attempts,
          now.getTime() - Date.parse(notification.createdAt),
          policy,
          this.random(),
        );
        const status = outcome.kind === "response" ? outcome.status : 0;
        span.setAttribute("http.response.status_code", status);
        const { receiver, integration: index } = notification;
        // The pass's deliveries to this integration share its health, updated as each answers.
        const breaker = this.breakerAfter(outcome, health.breaker, now.getTime());
        if (breaker) health.breaker = breaker;
        if (decision.action === "done") health.acceptedThisPass = true;
        const disabled =
          decision.action === "receiver-gone"
            ? { at: now.toISOString(), reason: decision.reason }
            : undefined;
        // Later heads of this pass are dead-lettered without a request, as the stored state says.
        if (disabled) health.disabled = disabled;
        const healthCommands: GuardedCommand[] = breaker
          ? [breakerCommand(store, receiver, index, breaker)]
          : [];
        if (decision.action === "done") {
          await this.guarded(lease, [
            ["ZREM", store.dueKey, notification.id],
            ["ZREM", store.queueKey(notification.queue), notification.id],
            ["DEL", store.itemKey(notification.id)],
            // A replayed dead letter leaves a mark, so replaying it again is refused as delivered.
            ...(notification.replays ? [store.deliveredCommand(notification.id, notification.tenant)] : []),
            ...this.promote(nextInQueue, now),
            ...this.history(notification, "notified", status, now),
            ...healthCommands,
          ]);
          logger.info({ id: notification.id, receiver, attempts, status }, "notification delivered");
          return;
        }
        const updated: Notification = { ...notification, attempts, lastError: decision.reason };
        if (decision.action === "retry") {
          await this.guarded(lease, [
            ["SET", store.itemKey(notification.id), store.serializeNotification(updated)],
            ["ZADD", store.dueKey, answeredAt.getTime() + decision.delayMs, notification.id],
            ...this.history(notification, "notification_failed", status, now, decision.reason),
            ...healthCommands,
          ]);
          logger.warn(
            { id: notification.id, receiver, attempts, reason: decision.reason },
            "notification will be retried",
          );
          return;
        }
        const disable = disabled ? [disableCommand(store, receiver, index, disabled)] : [];
        await this.deadLetter(
          updated,
          lease,
          nextInQueue,
          decision.reason,
          [...disable, ...healthCommands],
          status,
        );
        if (decision.action === "receiver-gone")
          await this.raiseReceiverDisabled(notification, integration, decision.reason, now);
      },
      SpanKind.PRODUCER,
    );
  }

  private breakerAfter(outcome: AttemptOutcome, breaker: Parameters<typeof afterSuccess>[0], now: number) {
    if (outcome.kind === "response" && outcome.status >= 200 && outcome.status < 300) {
      return breaker.consecutiveFailures === 0 && breaker.opens === 0 ? undefined : afterSuccess(breaker);
    }
    return strainsReceiver(outcome) ? afterFailure(breaker, now, defaultBreakerPolicy) : undefined;
  }

  private async deadLetter(
    notification: Notification,
    lease: string,
    nextInQueue: string | undefined,
    reason: string,
    extra: GuardedCommand[],
    status = 0,
  ): Promise<void> {
    const { store, logger } = this.deps;
    const now = this.clock();
    const dead: Notification = { ...notification, deadAt: now.toISOString(), deadReason: reason };
    await this.guarded(lease, [
      // Kept for ListDeadLetters and replay, then dropped (its body quotes alerts' evidence).
      [
        "SET",
        store.itemKey(notification.id),
        store.serializeNotification(dead),
        "PX",
        store.deadLetterRetentionMs,
      ],
      ["ZREM", store.dueKey, notification.id],
      ["ZREM", store.queueKey(notification.queue), notification.id],
      ["ZADD", store.deadKey, now.getTime(), notification.id],
      ...this.promote(nextInQueue, now),
      ...this.history(notification, "dead_lettered", status, now, reason),
      ...extra,
    ]);
    logger.error(
      { id: notification.id, receiver: notification.receiver, reason },
      "notification dead-lettered",
    );
  }

  private async raiseReceiverDisabled(
    notification: Notification,
    integration: Integration,
    reason: string,
    at: Date,
  ): Promise<void> {
    const name = integrationName(notification.receiver, integration, notification.integration);
    try {
      await this.deps.publishFindings(
        untraced([
          receiverDisabledFinding({
            tenant: notification.tenant,
            receiver: notification.receiver,
            integration: name,
            reason,
            notificationId: notification.id,
            at,
          }),
        ]),
      );
    } catch (error) {
      this.deps.logger.error(
        { err: (error as Error).message, integration: name },
        "could not raise the receiver-disabled alert",
      );
    }
  }

  /** The queue's next notification becomes due now that the one before it is done. */
  private promote(next: string | undefined, now: Date): GuardedCommand[] {
    return next ? [["ZADD", this.deps.store.dueKey, "NX", now.getTime(), next]] : [];
  }

  private history(
    notification: Notification,
    action: string,
    status: number,
    now: Date,
    detail?: string,
  ): GuardedCommand[] {
    return notification.fingerprints.flatMap((fingerprint) =>
      this.deps.store.historyCommands(fingerprint, {
        at: now.toISOString(),
        action,
        actor: "alerter",
        notificationId: notification.id,
        receiver: notification.receiver,
        httpStatus: status,
        ...(detail ? { detail } : {}),
      }),
    );
  }

  /** Writes under the queue's lease and releases it (skipped if the lease passed to another replica). */
  private guarded(lease: string, commands: GuardedCommand[]): Promise<void> {
    return this.writes.write({ lease, commands });
  }
}

/** Waits for every promise; throws the first failure once all have settled (none is left running). */
async function settled<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}
