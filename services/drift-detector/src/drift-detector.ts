import { readFileSync } from "node:fs";
import {
  ConfigError,
  decodeFeedbackEvent,
  decodeInferenceEventAsColumns,
  type Logger,
  type RunningService,
  startService,
} from "@argus/runtime";
import { BaselineStore } from "./adapters/baseline-store.js";
import { driftServiceRegistration } from "./adapters/drift-grpc.js";
import { createFeedbackHandler } from "./adapters/feedback-handler.js";
import { createInferenceHandler } from "./adapters/inference-handler.js";
import { ReportStore } from "./adapters/report-store.js";
import { WindowCloser } from "./adapters/window-closer.js";
import { WindowStore } from "./adapters/window-store.js";
import type { DriftConfig } from "./config.js";
import { type DriftConfigs, driftConfigs, parseDriftConfigs } from "./domain/drift-config.js";

/**
 * Wires the drift-detector: inference events → per-window mergeable counters in Redis (exactly
 * once) → windows evaluated against the baseline once the watermark passes them → reports and
 * findings; DriftService over gRPC.
 */
export function startDriftDetector(
  config: DriftConfig,
  overrides: { logger?: Logger } = {},
): Promise<RunningService> {
  const configs = loadDriftConfigs(config.DRIFT_MODELS_FILE);
  return startService(
    "drift-detector",
    config,
    async (context) => {
      const group = config.DRIFT_CONSUMER_GROUP;
      const windows = new WindowStore(
        context.redis,
        context.key,
        config.DRIFT_RETENTION_MS,
        config.DRIFT_PREDICTION_TTL_MS,
      );
      const reports = new ReportStore(context.redis, context.key, config.DRIFT_RETENTION_MS);
      const baselines = new BaselineStore(context.redis, context.key);
      await context.consume({
        groupId: group,
        topics: [context.topics.inference],
        decode: decodeInferenceEventAsColumns,
        // A batch's Redis write grows with the distinct sketch buckets it touches, not with its
        // events: bigger chunks amortize it, and a second partition's work overlaps the round trips.
        maxChunk: 10_000,
        partitionsConcurrently: 3,
        handle: createInferenceHandler({
          fence: context.offsetFence(group),
          windows,
          baselines,
          configs,
          clock: Date.now,
        }),
      });
      const feedbackGroup = `${group}-feedback`;
      await context.consume({
        groupId: feedbackGroup,
        topics: [context.topics.feedback],
        decode: decodeFeedbackEvent,
        handle: createFeedbackHandler({
          fence: context.offsetFence(feedbackGroup),
          redis: context.redis,
          windows,
          key: context.key,
          publish: context.publishFindings,
          retentionMs: config.DRIFT_RETENTION_MS,
        }),
      });
      const closer = new WindowCloser({
        redis: context.redis,
        key: context.key,
        windows,
        reports,
        baselines,
        configs,
        publish: context.publishFindings,
        logger: context.logger,
        intervalMs: config.DRIFT_EVALUATE_INTERVAL_MS,
        idleMs: config.DRIFT_IDLE_PARTITION_MS,
        leaseMs: config.DRIFT_EVALUATION_LEASE_MS,
      });
      closer.start();
      context.onStop("window closer", () => closer.stop());
      return {
        grpcServices: [
          driftServiceRegistration({
            windows,
            reports,
            baselines,
            configs,
            clock: () => new Date(),
            audit: context.audit,
          }),
        ],
      };
    },
    overrides,
  );
}

function loadDriftConfigs(path: string | undefined): DriftConfigs {
  if (!path) return driftConfigs();
  try {
    return parseDriftConfigs(readFileSync(path, "utf8"), path);
  } catch (error) {
    throw new ConfigError(`DRIFT_MODELS_FILE: ${(error as Error).message}`);
  }
}
