import type { InferenceEventColumns } from "@argus/proto";
import { applyFencedWith, type OffsetFence, type RecordBatch } from "@argus/runtime";
import type { DriftConfigs } from "../domain/drift-config.js";
import type { StoredPrediction } from "../domain/performance.js";
import { accumulateWindows, type PcaContext } from "../domain/window-counters.js";
import { windowStartOf } from "../domain/windows.js";
import type { BaselineStore } from "./baseline-store.js";
import type { WindowStore } from "./window-store.js";

/**
 * Adds each batch of inference events into its models' windows: exactly once per record (offset
 * fence in the same script), one Redis script per batch, whatever the number of events.
 */
export function createInferenceHandler(deps: {
  fence: OffsetFence;
  windows: WindowStore;
  baselines: BaselineStore;
  configs: DriftConfigs;
  clock: () => number;
}): (batch: RecordBatch<InferenceEventColumns>) => Promise<void> {
  const { fence, windows, baselines, configs, clock } = deps;
  return async (batch) => {
    const models = [...new Set(batch.records.map((record) => record.value.modelId))];
    const current = await baselines.currentFor(models);
    const pcaOf = (modelId: string): PcaContext | undefined => {
      const baseline = current.get(modelId);
      return baseline?.profile.pca
        ? { model: baseline.profile.pca, baselineVersion: baseline.version }
        : undefined;
    };
    await applyFencedWith(fence, batch, async (fresh, expected) => {
      const events = fresh.map((record) => record.value);
      const deltas = accumulateWindows(events, (modelId) => configs.forModel(modelId).windowMs, pcaOf);
      const latest = events.reduce((max, event) => Math.max(max, event.eventTimeMs), -Infinity);
      const watermark =
        events.length > 0 ? { partition: batch.partition, eventTimeMs: latest, nowMs: clock() } : undefined;
      return windows.apply(
        fence.keyFor(batch.topic, batch.partition),
        expected,
        batch.lastOffset,
        [...deltas.values()],
        watermark,
        predictionsToKeep(events, (modelId) => configs.forModel(modelId).windowMs),
      );
    });
  };
}

/** Predictions with a request id, kept until their ground-truth label arrives (performance drift). */
function predictionsToKeep(events: InferenceEventColumns[], windowMsOf: (modelId: string) => number) {
  const kept: { modelId: string; requestId: string; prediction: StoredPrediction }[] = [];
  for (const event of events) {
    if (!event.requestId) continue;
    const output = event.output?.kind;
    const windowStart = windowStartOf(event.eventTimeMs, windowMsOf(event.modelId));
    if (output?.$case === "classification") {
      kept.push({
        modelId: event.modelId,
        requestId: event.requestId,
        prediction: { label: output.value.label, windowStart },
      });
    } else if (output?.$case === "regression") {
      kept.push({
        modelId: event.modelId,
        requestId: event.requestId,
        prediction: { value: output.value, windowStart },
      });
    }
  }
  return kept;
}
