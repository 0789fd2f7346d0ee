import { randomUUID } from "node:crypto";
import {
  extractTraceContext,
  injectTraceContext,
  inSpan,
  type Logger,
  type Redis,
  SpanKind,
  type Tracer,
} from "@argus/runtime";
import { type DeliveryPolicy, decideAfterAttempt } from "../domain/delivery-policy.js";
import type { Notification } from "../domain/notification.js";
import type { AlertStore } from "./alert-store.js";
import { sendWebhook, type WebhookTarget } from "./webhook-sender.js";

export interface DispatcherDeps {
  redis: Redis;
  store: AlertStore;
  target: WebhookTarget;
  policy: DeliveryPolicy;
  tracer: Tracer;
  logger: Logger;
  pollMs: number;
  clock?: () => Date;
  random?: () => number;
  onDelivered?: (notification: Notification, status: number) => void;
}

// Removes a delivered notification only if this replica still holds its lease.
const completeScript = `
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('LPUSH', KEYS[4], ARGV[3])
redis.call('LTRIM', KEYS[4], 0, 99)
return 1
`;

// Writes the attempt's outcome and the next due time (or the dead-letter move) under the lease.
const rescheduleScript = `
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[3])
if ARGV[5] == 'dead' then
  redis.call('ZREM', KEYS[1], ARGV[2])
  redis.call('ZADD', KEYS[5], ARGV[4], ARGV[2])
else
  redis.call('ZADD', KEYS[1], ARGV[4], ARGV[2])
end
redis.call('DEL', KEYS[3])
redis.call('LPUSH', KEYS[4], ARGV[6])
redis.call('LTRIM', KEYS[4], 0, 99)
return 1
`;

/**
 * Delivers the outbox: notifications due now are leased (so two replicas never send the same one
 * at once), sent, and then removed on 2xx or rescheduled with backoff. The outbox is in Redis, so
 * a crash between storing and sending only delays a notification: it is sent after restart with
 * the same `webhook-id`.
 */
export class OutboxDispatcher {
  private readonly owner = randomUUID();
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** Set by a wake() that arrived while a pass was running: run another pass right away. */
  private wokenDuringPass = false;
  private readonly clock: () => Date;
  private readonly random: () => number;

  constructor(private readonly deps: DispatcherDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.random = deps.random ?? Math.random;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Look at the outbox now instead of at the next poll. */
  wake(): void {
    this.wokenDuringPass = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.wokenDuringPass = false;
      try {
        await this.deliverDue();
      } catch (error) {
        this.deps.logger.error({ err: (error as Error).message }, "outbox pass failed");
      }
      if (!this.running) break;
      if (this.wokenDuringPass) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.deps.pollMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          this.wakeUp = undefined;
          resolve();
        };
      });
    }
  }

  private async deliverDue(): Promise<void> {
    const { redis, store } = this.deps;
    const due = await redis.zrangebyscore(store.dueKey, "-inf", this.clock().getTime(), "LIMIT", 0, 50);
    for (const id of due) {
      if (!this.running) return;
      const leaseKey = store.leaseKey(id);
      const leased = await redis.set(
        leaseKey,
        this.owner,
        "PX",
        this.deps.target.timeoutMs * 2 + 5_000,
        "NX",
      );
      if (leased !== "OK") continue;
      const raw = await redis.get(store.itemKey(id));
      if (raw === null) {
        await redis.multi().zrem(store.dueKey, id).del(leaseKey).exec();
        continue;
      }
      await this.deliver(JSON.parse(raw) as Notification, leaseKey);
    }
  }

  private async deliver(notification: Notification, leaseKey: string): Promise<void> {
    const { redis, store, target, tracer, policy, logger } = this.deps;
    const parent = extractTraceContext(
      notification.traceparent ? { traceparent: notification.traceparent } : {},
    );
    await inSpan(
      tracer,
      "alerter.deliver_webhook",
      parent,
      { "argus.notification.id": notification.id, "argus.alert.fingerprint": notification.fingerprint },
      async (span, ctx) => {
        const now = this.clock();
        const outcome = await sendWebhook(target, notification, injectTraceContext(ctx, {}), now);
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
        const history = JSON.stringify({
          id: notification.id,
          at: now.toISOString(),
          status,
          decision: decision.action,
        });
        const keys = [
          store.dueKey,
          store.itemKey(notification.id),
          leaseKey,
          store.historyKey(notification.fingerprint),
        ];
        if (decision.action === "done") {
          await redis.eval(completeScript, keys.length, ...keys, this.owner, notification.id, history);
          this.deps.onDelivered?.(notification, status);
          logger.info(
            { id: notification.id, type: notification.type, attempts, status },
            "notification delivered",
          );
          return;
        }
        const updated: Notification = { ...notification, attempts, lastError: decision.reason };
        const dead = decision.action === "dead-letter";
        const score = dead ? now.getTime() : now.getTime() + decision.delayMs;
        await redis.eval(
          rescheduleScript,
          keys.length + 1,
          ...keys,
          store.deadKey,
          this.owner,
          notification.id,
          JSON.stringify(updated),
          score,
          dead ? "dead" : "retry",
          history,
        );
        logger.warn(
          { id: notification.id, attempts, reason: decision.reason, dead },
          "notification not delivered",
        );
      },
      SpanKind.PRODUCER,
    );
  }
}
