import { decodeInferenceEvent, type Logger, type RunningService, startService } from "@argus/runtime";
import { anomalyServiceRegistration } from "./adapters/anomaly-grpc.js";
import { ClientStore } from "./adapters/client-store.js";
import { createInferenceHandler } from "./adapters/inference-handler.js";
import { loadInputSchemas } from "./adapters/schema-file.js";
import { type AnomalyConfig, clientPolicyOf, resourcePolicyOf } from "./config.js";

/** Wires the anomaly-detector: inference events → per-event, per-model and per-client detectors → findings and client risk. */
export function startAnomalyDetector(
  config: AnomalyConfig,
  overrides: { logger?: Logger } = {},
): Promise<RunningService> {
  const schemas = loadInputSchemas(config.ANOMALY_INPUT_SCHEMAS_FILE);
  const clientPolicy = clientPolicyOf(config);
  return startService(
    "anomaly-detector",
    config,
    async (context) => {
      const group = config.ANOMALY_CONSUMER_GROUP;
      const store = new ClientStore(context.redis, context.key, config.ANOMALY_CLIENT_TTL_MS);
      await context.consume({
        groupId: group,
        topics: [context.topics.inference],
        decode: decodeInferenceEvent,
        handle: createInferenceHandler({
          schemas,
          store,
          fence: context.offsetFence(group),
          producer: context.producer,
          findingsTopic: context.topics.findings,
          tracer: context.tracer,
          metrics: context.metrics,
          clientPolicy,
          resourcePolicy: resourcePolicyOf(config),
        }),
      });
      return {
        grpcServices: [anomalyServiceRegistration({ store, schemas, policy: clientPolicy, clock: Date.now })],
      };
    },
    overrides,
  );
}
