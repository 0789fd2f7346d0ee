import {
  decodeFeedbackEvent,
  evidenceSealerFromConfig,
  type Logger,
  PollingLoop,
  type RunningService,
  startService,
} from "@argus/runtime";
import { anomalyServiceRegistration } from "./adapters/anomaly-grpc.js";
import { AnomalyStore } from "./adapters/anomaly-store.js";
import { confidentKey, createFeedbackHandler } from "./adapters/feedback-handler.js";
import { decodeInferenceRecord } from "./adapters/inference-decode.js";
import { createInferenceHandler } from "./adapters/inference-handler.js";
import { loadInputSchemas } from "./adapters/schema-file.js";
import { type AnomalyConfig, clientPolicyOf, detectPoliciesOf, poisoningPolicyOf } from "./config.js";
import { scanEventTexts } from "./domain/text-findings.js";

/** How often the risky-client indexes are swept of clients whose state expired. */
const indexSweepMs = 15 * 60_000;

/** Wires the anomaly-detector: inference events → per-event, per-model and per-client detectors → findings and client risk. */
export function startAnomalyDetector(
  config: AnomalyConfig,
  overrides: { logger?: Logger } = {},
): Promise<RunningService> {
  const schemas = loadInputSchemas(config.ANOMALY_INPUT_SCHEMAS_FILE);
  const clientPolicy = clientPolicyOf(config);
  // No keys and no explicit plaintext mode: refuse to start (a ConfigError naming the variable).
  const sealer = evidenceSealerFromConfig(config);
  return startService(
    "anomaly-detector",
    config,
    async (context) => {
      const group = config.ANOMALY_CONSUMER_GROUP;
      if (!config.ANOMALY_FINGERPRINT_SALT) {
        context.logger.warn(
          "ANOMALY_FINGERPRINT_SALT is not set: query fingerprints use a public development salt",
        );
      }
      if (!sealer.sealing) {
        context.logger.warn("ARGUS_EVIDENCE_PLAINTEXT=true: client risk reasons are stored unsealed");
      }
      const store = new AnomalyStore(context.redis, context.key, config.ANOMALY_CLIENT_TTL_MS, sealer);
      // Index entries of forgotten clients go too (ListRiskyClients prunes only what it reads).
      const sweep = new PollingLoop(
        "risky-client index sweep",
        async () =>
          context.logger.debug({ removed: await store.pruneIndexes() }, "risky-client indexes pruned"),
        indexSweepMs,
        context.logger,
        { firstPassAfterPoll: true },
      );
      sweep.start();
      context.onStop("risky-client index sweep", () => sweep.stop());
      await context.consume({
        groupId: group,
        topics: [context.topics.inference],
        decode: decodeInferenceRecord,
        // Per-batch costs (one MGET, one script) amortize over bigger chunks; a second and third
        // partition's work overlaps the round trips. Clients stay in one partition, so in order.
        maxChunk: 5_000,
        partitionsConcurrently: 3,
        handle: createInferenceHandler({
          store,
          fence: context.offsetFence(group),
          publish: context.publishFindings,
          tracer: context.tracer,
          policies: detectPoliciesOf(config, schemas),
          confidentPrediction: {
            keyOf: (modelId, requestId) => confidentKey(context.key, modelId, requestId),
            ttlMs: config.ANOMALY_LABEL_TTL_MS,
          },
          clock: Date.now,
        }),
      });
      const feedbackGroup = `${group}-feedback`;
      await context.consume({
        groupId: feedbackGroup,
        topics: [context.topics.feedback],
        decode: decodeFeedbackEvent,
        handle: createFeedbackHandler({
          redis: context.redis,
          key: context.key,
          fence: context.offsetFence(feedbackGroup),
          publish: context.publishFindings,
          policy: poisoningPolicyOf(config),
          labelTtlMs: config.ANOMALY_LABEL_TTL_MS,
        }),
      });
      return {
        grpcServices: [
          anomalyServiceRegistration({
            store,
            schemas,
            policy: clientPolicy,
            scanEvent: scanEventTexts,
            clock: Date.now,
            audit: context.audit,
          }),
        ],
      };
    },
    overrides,
  );
}
