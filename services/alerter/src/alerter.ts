import type { Logger } from "@argus/runtime";
import { evidenceSealerFromConfig, type RunningService, startService } from "@argus/runtime";
import { AcknowledgementStore } from "./adapters/acknowledgement-store.js";
import { alertServiceRegistration } from "./adapters/alert-grpc.js";
import { AlertStore } from "./adapters/alert-store.js";
import { DeadLetterStore } from "./adapters/dead-letter-store.js";
import { guardedAgent } from "./adapters/egress.js";
import { ErasureStore } from "./adapters/erasure-store.js";
import { createFindingsHandler, decodeFinding } from "./adapters/findings-handler.js";
import { GroupFlusher } from "./adapters/group-flusher.js";
import { GroupMembershipStore } from "./adapters/group-membership-store.js";
import { OutboxDispatcher, targetOf } from "./adapters/outbox-dispatcher.js";
import { ReceiverHealthStore } from "./adapters/receiver-health-store.js";
import { ResolutionStore } from "./adapters/resolution-store.js";
import { ResolveTimeoutSweeper } from "./adapters/resolve-timeout-sweeper.js";
import { RoutingConfigSource } from "./adapters/routing-config-source.js";
import { SilenceStore } from "./adapters/silence-store.js";
import { sendWebhook } from "./adapters/webhook-sender.js";
import type { AlerterConfig } from "./config.js";
import { alerterUseCases } from "./use-cases/alerter-use-cases.js";

/**
 * Wires the alerter: findings → alert state and routing groups (Redis) → group flushes into the
 * outbox → signed notifications; AlertService over gRPC; SIGHUP reloads the routing configuration.
 */
export function startAlerter(
  config: AlerterConfig,
  overrides: { logger?: Logger } = {},
): Promise<RunningService> {
  const routing = new RoutingConfigSource(config);
  // No keys and no explicit plaintext mode: refuse to start (a ConfigError naming the variable).
  const sealer = evidenceSealerFromConfig(config);
  return startService(
    "alerter",
    config,
    async (context) => {
      if (!sealer.sealing) {
        context.logger.warn(
          "ARGUS_EVIDENCE_PLAINTEXT=true: alert summaries and evidence are stored unsealed",
        );
      }
      const store = new AlertStore(
        context.redis,
        context.key,
        config.ALERTER_RESOLVED_RETENTION_MS,
        sealer,
        config.ALERTER_DEAD_LETTER_RETENTION_MS,
      );
      const silences = new SilenceStore(context.redis, store.silencesKey);
      const group = config.ALERTER_CONSUMER_GROUP;
      const egress = { allow: config.ALERTER_EGRESS_ALLOW };
      const agent = guardedAgent(egress, config.ALERTER_WEBHOOK_TIMEOUT_MS);
      context.onStop("webhook connections", () => agent.close());
      const http = { timeoutMs: config.ALERTER_WEBHOOK_TIMEOUT_MS, egress, dispatcher: agent };
      const current = () => routing.current;
      const outbox = new OutboxDispatcher({
        redis: context.redis,
        store,
        routing: current,
        http,
        policy: {
          initialBackoffMs: config.ALERTER_RETRY_INITIAL_MS,
          maxBackoffMs: config.ALERTER_RETRY_MAX_MS,
          maxAgeMs: config.ALERTER_NOTIFICATION_MAX_AGE_MS,
        },
        tracer: context.tracer,
        logger: context.logger,
        pollMs: config.ALERTER_POLL_MS,
        publishFindings: context.publishFindings,
      });
      const flusher = new GroupFlusher({
        redis: context.redis,
        store,
        silences,
        routing: current,
        tracer: context.tracer,
        logger: context.logger,
        pollMs: config.ALERTER_POLL_MS,
        clock: () => new Date(),
        onQueued: () => outbox.wake(),
      });
      const { redis } = context;
      const useCases = alerterUseCases({
        store,
        silences,
        acknowledgements: new AcknowledgementStore(redis, store),
        resolutions: new ResolutionStore(redis, store),
        deadLetters: new DeadLetterStore(redis, store),
        receiverHealth: new ReceiverHealthStore(redis, store),
        memberships: new GroupMembershipStore(redis, store),
        erasures: new ErasureStore(redis, store, config.ALERTER_WEBHOOK_TIMEOUT_MS),
        routing,
        send: (integration, message, now) => sendWebhook(targetOf(integration, http), message, {}, now),
        wake: { groups: () => flusher.wake(), outbox: () => outbox.wake() },
        audit: context.audit,
        clock: () => new Date(),
      });
      const sweeper = new ResolveTimeoutSweeper(
        store,
        useCases.endEpisode,
        current,
        Math.max(config.ALERTER_POLL_MS, 1_000),
        context.logger,
      );
      outbox.start();
      flusher.start();
      sweeper.start();
      context.onStop("outbox dispatcher", () => outbox.stop());
      context.onStop("group flusher", () => flusher.stop());
      context.onStop("resolve timeout sweeper", () => sweeper.stop());
      const onHangup = () => {
        useCases.reloadRouting({ actor: "signal:SIGHUP", tenant: "*" }).then(
          (loaded) =>
            context.logger.info(
              { hash: loaded.hash, routes: loaded.routes },
              "routing configuration reloaded",
            ),
          (error: Error) =>
            context.logger.error(
              { err: error.message },
              "routing configuration not reloaded; the running one stays",
            ),
        );
      };
      process.on("SIGHUP", onHangup);
      context.onStop("SIGHUP handler", async () => {
        process.off("SIGHUP", onHangup);
      });
      await context.consume({
        groupId: group,
        topics: [context.topics.findings],
        decode: decodeFinding,
        handle: createFindingsHandler({
          store,
          fence: context.offsetFence(group),
          tracer: context.tracer,
          clock: () => new Date(),
          routing: current,
          onGrouped: () => flusher.wake(),
        }),
      });
      return {
        grpcServices: [alertServiceRegistration({ store, silences, useCases, logger: context.logger })],
      };
    },
    overrides,
  );
}
