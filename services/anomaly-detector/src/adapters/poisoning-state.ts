import type { FencedCommand } from "@argus/runtime";
import { z } from "zod";
import { emptyFeedbackState, type FeedbackPlan, type FeedbackState } from "../domain/poisoning.js";

/**
 * A model's poisoning state in one Redis hash: field `model` holds the model's comparison counts,
 * `source:<url-encoded name>` one source's histories. The hash expires after the source TTL without
 * labels; sources silent that long are dropped field by field. Fields of any other shape (the
 * cumulative counters this replaced, or damage) are ignored and deleted at the next write.
 */
const modelField = "model";
const sourcePrefix = "source:";

const counts = z.object({ n: z.number(), k: z.number() });
const history = z.object({
  labels: z.number(),
  firstAt: z.number(),
  reference: z.object({ n: z.number(), k: z.number(), othersN: z.number(), othersK: z.number() }),
  blocks: z.array(
    z.object({
      n: z.number(),
      k: z.number(),
      partnerN: z.number(),
      partnerK: z.number(),
      since: z.number(),
      modelN: z.number(),
      modelK: z.number(),
    }),
  ),
});
const sourceHistory = z.object({
  lastSeen: z.number(),
  confident: history,
  cross: history,
  alarmed: z.array(z.enum(["confident_predictions", "other_sources"])),
});
const modelCounts = z.object({ confident: counts, cross: counts });

export interface LoadedFeedbackState {
  state: FeedbackState;
  /** Fields that are not part of the state (to delete). */
  stale: string[];
}

export function parseFeedbackState(hash: Record<string, string>): LoadedFeedbackState {
  const state = emptyFeedbackState();
  const stale: string[] = [];
  for (const [field, value] of Object.entries(hash)) {
    const parsed = parseJson(value);
    if (field === modelField) {
      const model = modelCounts.safeParse(parsed);
      if (model.success) {
        state.confident = model.data.confident;
        state.cross = model.data.cross;
        continue;
      }
    } else if (field.startsWith(sourcePrefix)) {
      const source = sourceHistory.safeParse(parsed);
      if (source.success) {
        state.sources[decodeURIComponent(field.slice(sourcePrefix.length))] = source.data;
        continue;
      }
    }
    stale.push(field);
  }
  return { state, stale };
}

/** The writes that store a plan over the loaded state, as one group of the batch's fenced write. */
export function feedbackStateWrites(
  key: string,
  loaded: LoadedFeedbackState,
  plan: FeedbackPlan,
  ttlMs: number,
): FencedCommand[] {
  const commands: FencedCommand[] = [];
  const removed = [...loaded.stale, ...plan.forgotten.map(sourceField)];
  if (removed.length > 0) commands.push(["HDEL", key, ...removed]);
  const values: (string | number)[] = [
    modelField,
    JSON.stringify({ confident: plan.state.confident, cross: plan.state.cross }),
  ];
  for (const source of plan.touched)
    values.push(sourceField(source), JSON.stringify(plan.state.sources[source]));
  commands.push(["HSET", key, ...values], ["PEXPIRE", key, ttlMs]);
  return commands;
}

function sourceField(source: string): string {
  return `${sourcePrefix}${encodeURIComponent(source)}`;
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
