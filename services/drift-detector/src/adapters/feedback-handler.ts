import { createHash } from "node:crypto";
import { type FeedbackEvent, type Finding, FindingKind, Severity } from "@argus/proto";
import {
  applyFenced,
  type FencedCommand,
  type OffsetFence,
  type PublishFindings,
  type RecordBatch,
  type Redis,
  untraced,
} from "@argus/runtime";
import {
  type ChangePoint,
  type LabelledOutcome,
  newPerformanceState,
  outcomeOf,
  type PerformanceState,
  trackPerformance,
} from "../domain/performance.js";
import { fixedPointScale } from "../domain/window-counters.js";
import type { WindowStore } from "./window-store.js";

/**
 * Joins ground-truth labels to the predictions they are for, adds accuracy (or absolute error) to
 * the prediction's window, and runs the change detectors on the model's error stream. A change
 * point is published as a performance-drift finding before the state is stored with the offset
 * fence: after a crash the batch is replayed against the old state and finds the same change, with
 * the same finding id, instead of the finding being lost.
 */
export function createFeedbackHandler(deps: {
  fence: OffsetFence;
  redis: Redis;
  windows: WindowStore;
  key: (...parts: string[]) => string;
  publish: PublishFindings;
  retentionMs: number;
}): (batch: RecordBatch<FeedbackEvent>) => Promise<void> {
  const { fence, windows, key } = deps;
  const stateKey = (modelId: string) => key("perf", `{${modelId}}`, "state");
  return async (batch) => {
    await applyFenced(fence, batch, async (fresh) => {
      const labels = fresh.flatMap((record) =>
        record.value.target?.$case === "label"
          ? [{ record, event: record.value, label: record.value.target.value }]
          : [],
      );
      if (labels.length === 0) return [];
      const predictions = await windows.predictions(
        labels.map(({ event, label }) => ({ modelId: event.modelId, requestId: label.requestId })),
      );
      const outcomes = new Map<string, { outcomes: LabelledOutcome[]; tenant: string }>();
      const commands: FencedCommand[] = [];
      labels.forEach(({ record, event, label }, index) => {
        const prediction = predictions[index];
        const truth =
          label.value?.$case === "label" ? { label: label.value.value } : { value: label.value?.value };
        const error = prediction ? outcomeOf(prediction, truth) : undefined;
        if (!prediction || error === undefined) {
          commands.push(["HINCRBY", key("perf", `{${event.modelId}}`, "unmatched"), "labels", 1]);
          return;
        }
        const entry = outcomes.get(event.modelId) ?? { outcomes: [], tenant: event.tenant };
        entry.outcomes.push({
          error,
          ref: `${record.topic}/${record.partition}/${record.offset}`,
          windowStart: prediction.windowStart,
          // A label without its own time was given when it reached Kafka.
          labelledAtMs: event.eventTime?.getTime() ?? Number(record.timestamp),
        });
        outcomes.set(event.modelId, entry);
        const windowKey = key("perf", `{${event.modelId}}`, String(prediction.windowStart));
        commands.push(["HINCRBY", windowKey, "labelled", 1]);
        commands.push([
          "HINCRBY",
          windowKey,
          prediction.label !== undefined ? "wrong" : "abs_error",
          prediction.label !== undefined ? error : Math.round(error * fixedPointScale),
        ]);
        commands.push(["PEXPIRE", windowKey, deps.retentionMs]);
      });
      const models = [...outcomes.keys()];
      const stored = models.length > 0 ? await deps.redis.mget(models.map(stateKey)) : [];
      const findings: Finding[] = [];
      models.forEach((modelId, index) => {
        const entry = outcomes.get(modelId) as { outcomes: LabelledOutcome[]; tenant: string };
        const previous = stored[index]
          ? (JSON.parse(stored[index] as string) as PerformanceState)
          : newPerformanceState();
        const { state, changes, referenceErrors } = trackPerformance(previous, entry.outcomes);
        commands.push(["SET", stateKey(modelId), JSON.stringify(state)]);
        for (const [windowStart, error] of referenceErrors)
          commands.push([
            "HSETNX",
            key("perf", `{${modelId}}`, String(windowStart)),
            "ref_error",
            String(error),
          ]);
        for (const change of changes) {
          findings.push(performanceFinding(modelId, entry.tenant, change));
          commands.push([
            "HINCRBY",
            key("perf", `{${modelId}}`, String(change.windowStart)),
            `change:${change.detector}`,
            1,
          ]);
        }
      });
      await deps.publish(untraced(findings));
      return commands;
    });
  };
}

function performanceFinding(modelId: string, tenant: string, change: ChangePoint): Finding {
  const id = createHash("sha256")
    .update(`performance|${modelId}|${change.detector}|${change.ref}`)
    .digest("hex");
  return {
    findingId: id,
    kind: FindingKind.FINDING_KIND_DRIFT,
    severity: Severity.SEVERITY_CRITICAL,
    modelId,
    tenant,
    subject: { feature: "__performance__", clientId: "", source: "" },
    score: change.errorAfter,
    threshold: change.errorBefore,
    summary: `${modelId}: model error changed from ${change.errorBefore.toFixed(3)} to ${change.errorAfter.toFixed(3)} (${change.detector} at label ${change.labelIndex})`,
    evidence: {
      detector: change.detector,
      label_index: String(change.labelIndex),
      error_before: String(change.errorBefore),
      error_after: String(change.errorAfter),
      window_start: new Date(change.windowStart).toISOString(),
      record: change.ref,
    },
    labels: {
      alertname: "ModelPerformanceDrift",
      kind: "drift",
      model: modelId,
      feature: "__performance__",
      severity: "critical",
      tenant,
    },
    fingerprint: createHash("sha256").update(`drift|${tenant}|${modelId}|__performance__`).digest("hex"),
    // The time of the label that showed it: the window holds the predictions, possibly long before.
    observedAt: new Date(change.labelledAtMs),
    detector: "drift-detector",
    sampleEventIds: [],
    resolved: false,
  };
}
