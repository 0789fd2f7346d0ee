import { decodeInferenceEvent, type Logger, type RunningService, startService } from "@argus/runtime";
import { createInferenceHandler } from "./adapters/inference-handler.js";
import { loadInputSchemas } from "./adapters/schema-file.js";
import type { AnomalyConfig } from "./config.js";

/** Wires the anomaly-detector: inference events → per-event detectors → findings. */
export function startAnomalyDetector(
  config: AnomalyConfig,
  overrides: { logger?: Logger } = {},
): Promise<RunningService> {
  const schemas = loadInputSchemas(config.ANOMALY_INPUT_SCHEMAS_FILE);
  return startService(
    "anomaly-detector",
    config,
    async (context) => {
      const group = config.ANOMALY_CONSUMER_GROUP;
      await context.consume({
        groupId: group,
        topics: [context.topics.inference],
        decode: decodeInferenceEvent,
        handle: createInferenceHandler({
          schemas,
          producer: context.producer,
          findingsTopic: context.topics.findings,
          tracer: context.tracer,
          metrics: context.metrics,
          clock: () => new Date(),
        }),
      });
      return {};
    },
    overrides,
  );
}
