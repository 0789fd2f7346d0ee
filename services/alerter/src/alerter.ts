import type { Logger } from "@argus/runtime";
import { type RunningService, startService } from "@argus/runtime";
import { alertServiceRegistration } from "./adapters/alert-grpc.js";
import { AlertStore } from "./adapters/alert-store.js";
import { guardedAgent } from "./adapters/egress.js";
import { createFindingsHandler, decodeFinding } from "./adapters/findings-handler.js";
import { OutboxDispatcher } from "./adapters/outbox-dispatcher.js";
import type { AlerterConfig } from "./config.js";

/** Wires the alerter: findings → alert state + outbox (Redis) → signed webhooks; AlertService over gRPC. */
export function startAlerter(
  config: AlerterConfig,
  overrides: { logger?: Logger } = {},
): Promise<RunningService> {
  return startService(
    "alerter",
    config,
    async (context) => {
      const store = new AlertStore(context.redis, context.key, config.ALERTER_RESOLVED_RETENTION_MS);
      const group = config.ALERTER_CONSUMER_GROUP;
      const fence = context.offsetFence(group);
      const dispatcher = guardedAgent(
        { allow: config.ALERTER_EGRESS_ALLOW },
        config.ALERTER_WEBHOOK_TIMEOUT_MS,
      );
      context.onStop("webhook connections", () => dispatcher.close());
      const outbox = new OutboxDispatcher({
        redis: context.redis,
        store,
        target: {
          url: config.ALERTER_WEBHOOK_URL,
          secret: config.ALERTER_WEBHOOK_SECRET,
          timeoutMs: config.ALERTER_WEBHOOK_TIMEOUT_MS,
          egress: { allow: config.ALERTER_EGRESS_ALLOW },
          dispatcher,
        },
        policy: {
          initialBackoffMs: config.ALERTER_RETRY_INITIAL_MS,
          maxBackoffMs: config.ALERTER_RETRY_MAX_MS,
          maxAgeMs: config.ALERTER_NOTIFICATION_MAX_AGE_MS,
        },
        tracer: context.tracer,
        logger: context.logger,
        pollMs: config.ALERTER_POLL_MS,
      });
      outbox.start();
      context.onStop("outbox dispatcher", () => outbox.stop());
      await context.consume({
        groupId: group,
        topics: [context.topics.findings],
        decode: decodeFinding,
        handle: createFindingsHandler({
          store,
          fence,
          tracer: context.tracer,
          clock: () => new Date(),
          onQueued: () => outbox.wake(),
        }),
      });
      return { grpcServices: [alertServiceRegistration(store)] };
    },
    overrides,
  );
}
