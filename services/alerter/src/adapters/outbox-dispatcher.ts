import { randomUUID } from "node:crypto";
import {
  extractTraceContext,
  type GuardedCommand,
  injectTraceContext,
  inSpan,
  type Logger,
  type PublishFindings,
  runGuarded,
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
import { releaseLease } from "./outbox-commands.js";
import { PollingWorker } from "./polling-loop.js";
import { breakerCommand, disableCommand, readReceiverState } from "./receiver-state.js";
import { sendWebhook, type WebhookTarget } from "./webhook-sender.js";

export interface DispatcherDeps {
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

/**
 * Delivers the outbox. Each queue (one group × integration) is leased by one replica at a time and
 * sends only its head, so a group's notifications arrive in order and two replicas never send the
 * same one at once. A notification leaves the outbox only on 2xx, or to the dead-letter list; a crash
 * between storing and sending only delays it: after restart it is sent with the same `webhook-id`.
 */
export class OutboxDispatcher extends PollingWorker {
  private readonly owner = randomUUID();
  private readonly clock: () => Date;
  private readonly random: () => number;

  constructor(private readonly deps: DispatcherDeps) {
    super("outbox", deps.pollMs, deps.logger);
    this.clock = deps.clock ?? (() => new Date());
    this.random = deps.random ?? Math.random;
  }

  protected async pass(): Promise<void> {
    const { store } = this.deps;
    const due = await store.redis.zrangebyscore(store.dueKey, "-inf", this.clock().getTime(), "LIMIT", 0, 50);
    for (const id of due) {
      if (!this.running) return;
      const raw = await store.redis.get(store.itemKey(id));
      if (raw === null) {
        await store.redis.zrem(store.dueKey, id);
        continue;
      }
      const notification = store.parseNotification(id, raw);
      const lease = store.queueLeaseKey(notification.queue);
      const leaseMs = this.deps.http.timeoutMs * 2 + 5_000;
      if ((await store.redis.set(lease, this.owner, "PX", leaseMs, "NX")) !== "OK") continue;
      try {
        await this.deliverHead(notification, lease);
      } finally {
        await releaseLease(store.redis, lease, this.owner);
      }
    }
  }

  private async deliverHead(notification: Notification, lease: string): Promise<void> {
    const { store } = this.deps;
    const queue = await store.redis.zrange(store.queueKey(notification.queue), 0, 1);
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
    const state = await readReceiverState(store, notification.receiver, notification.integration);
    if (state.disabled) {
      await this.deadLetter(
        notification,
        lease,
        nextInQueue,
        `receiver disabled: ${state.disabled.reason}`,
        [],
      );
      return;
    }
    const now = this.clock();
    if (!breakerAllows(state.breaker, now.getTime())) {
      // Circuit open: wait for it without spending an attempt.
      await this.guarded(lease, [["ZADD", store.dueKey, state.breaker.openUntil, notification.id]]);
      return;
    }
    await this.attempt(notification, integration, lease, nextInQueue, state.breaker);
  }

  private async attempt(
    notification: Notification,
    integration: Integration,
    lease: string,
    nextInQueue: string | undefined,
    breaker: Awaited<ReturnType<typeof readReceiverState>>["breaker"],
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
        const health = this.breakerAfter(outcome, breaker, now.getTime());
        const healthCommands: GuardedCommand[] = health
          ? [breakerCommand(store, receiver, index, health)]
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
        const disable =
          decision.action === "receiver-gone"
            ? [disableCommand(store, receiver, index, { at: now.toISOString(), reason: decision.reason })]
            : [];
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

  private async guarded(lease: string, commands: GuardedCommand[]): Promise<void> {
    const written = await runGuarded(this.deps.store.redis, { key: lease, expected: this.owner, commands });
    if (!written)
      this.deps.logger.warn({ lease }, "outbox lease lost before writing; another replica takes over");
  }
}
