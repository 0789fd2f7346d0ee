import {
  decodeInferenceEvent,
  type Logger,
  OffsetFence,
  type RunningService,
  startBatchConsumer,
  startService,
} from "@argus/runtime";
import { createCountHandler } from "./adapters/count-handler.js";
import type { DriftConfig } from "./config.js";

/**
 * The drift-detector's skeleton: it consumes inference events and keeps exact per-model counts.
 * The drift statistics themselves are built on this loop by the drift issue.
 */
export function startDriftDetector(
  config: DriftConfig,
  overrides: { logger?: Logger } = {},
): Promise<RunningService> {
  return startService(
    "drift-detector",
    config,
    async (context) => {
      const group = config.DRIFT_CONSUMER_GROUP;
      const fence = new OffsetFence(context.redis, (topic, partition) =>
        context.key("fence", group, topic, String(partition)),
      );
      const consumer = await startBatchConsumer({
        kafka: context.kafka,
        groupId: group,
        topics: [context.topics.inference],
        decode: decodeInferenceEvent,
        handle: createCountHandler(fence, context.key),
        deadLetters: context.deadLetters(group),
        logger: context.logger,
        metrics: context.metrics,
      });
      context.onStop("inference consumer", () => consumer.stop());
      return {};
    },
    overrides,
  );
}
