import { decodeInferenceEvent, type Logger, type RunningService, startService } from "@argus/runtime";
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
      const fence = context.offsetFence(group);
      await context.consume({
        groupId: group,
        topics: [context.topics.inference],
        decode: decodeInferenceEvent,
        handle: createCountHandler(fence, context.key),
      });
      return {};
    },
    overrides,
  );
}
