import type { FeedbackEvent, Finding } from "@argus/proto";
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
  type FirstLabel,
  type LabelToJudge,
  type PoisoningPolicy,
  planFeedback,
} from "../domain/poisoning.js";
import { poisoningFinding } from "../domain/poisoning-finding.js";
import { feedbackStateWrites, parseFeedbackState } from "./poisoning-state.js";

/**
 * Judges label sources as their labels arrive (feedback is keyed by model, so one consumer sees all
 * of a model's labels in order), in three beats: load each model's poisoning state and what is
 * stored about the labelled requests (the model's confident prediction, the first label) →
 * `planFeedback` (pure) → publish the alarms' findings and store the state with the offset fence in
 * one write. Findings go out before the write with ids fixed by the state, so a replayed batch
 * republishes the same ids instead of losing them.
 */
export function createFeedbackHandler(deps: {
  redis: Redis;
  key: (...parts: string[]) => string;
  fence: OffsetFence;
  publish: PublishFindings;
  policy: PoisoningPolicy;
  labelTtlMs: number;
  /** Wall clock (ms) for forgetting silent sources. */
  clock?: () => number;
}): (batch: RecordBatch<FeedbackEvent>) => Promise<void> {
  const { redis, key } = deps;
  const clock = deps.clock ?? Date.now;
  const stateKey = (modelId: string) => key("poisoning", `{${modelId}}`);
  return async (batch) => {
    await applyFenced(deps.fence, batch, async (records) => {
      const now = clock();
      const labels = records.flatMap(({ value: event }) => {
        const target = event.target;
        if (target?.$case !== "label" || target.value.value?.$case !== "label" || !target.value.requestId)
          return [];
        return [{ event, requestId: target.value.requestId, label: target.value.value.value }];
      });
      if (labels.length === 0) return [];
      const models = [...new Set(labels.map(({ event }) => event.modelId))];
      const [stored, ...hashes] = await Promise.all([
        redis.mget(
          labels.flatMap(({ event, requestId }) => [
            confidentKey(key, event.modelId, requestId),
            firstLabelKey(key, event.modelId, requestId),
          ]),
        ),
        ...models.map((modelId) => redis.hgetall(stateKey(modelId))),
      ]);
      const commands: FencedCommand[] = [];
      const findings: Finding[] = [];
      models.forEach((modelId, m) => {
        const loaded = parseFeedbackState(hashes[m] as Record<string, string>);
        const toJudge: LabelToJudge[] = [];
        labels.forEach(({ event, requestId, label }, i) => {
          if (event.modelId !== modelId) return;
          toJudge.push({
            source: event.source,
            label,
            requestId,
            at: event.eventTime?.getTime() ?? now,
            confidentLabel: stored[i * 2] ?? undefined,
            firstLabel: parseFirstLabel(stored[i * 2 + 1]),
          });
        });
        const plan = planFeedback(loaded.state, toJudge, deps.policy, now);
        for (const first of plan.firstLabels)
          commands.push([
            "SET",
            firstLabelKey(key, modelId, first.requestId),
            JSON.stringify({ source: first.source, label: first.label }),
            "PX",
            deps.labelTtlMs,
            "NX",
          ]);
        commands.push(...feedbackStateWrites(stateKey(modelId), loaded, plan, deps.policy.sourceTtlMs));
        const tenant = labels.find(({ event }) => event.modelId === modelId)?.event.tenant ?? "";
        for (const alarm of plan.alarms) findings.push(poisoningFinding(modelId, tenant, alarm, deps.policy));
      });
      await deps.publish(untraced(findings));
      return commands;
    });
  };
}

export function confidentKey(
  key: (...parts: string[]) => string,
  modelId: string,
  requestId: string,
): string {
  return key("confident", `{${modelId}}`, requestId);
}

function firstLabelKey(key: (...parts: string[]) => string, modelId: string, requestId: string): string {
  return key("first-label", `{${modelId}}`, requestId);
}

function parseFirstLabel(value: string | null | undefined): FirstLabel | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<FirstLabel>;
    return typeof parsed.source === "string" && typeof parsed.label === "string"
      ? { source: parsed.source, label: parsed.label }
      : undefined;
  } catch {
    return undefined;
  }
}
