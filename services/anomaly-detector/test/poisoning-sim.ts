// Simulated labelling of one model's predictions by several sources, for the poisoning planner's
// tests: requests with a true class, the model's prediction (confident or not), and each source's
// label (its own honest error, and a share of flipped labels once it turns bad).
import { seededUniform } from "@argus/stats";
import {
  emptyFeedbackState,
  type FeedbackState,
  type FirstLabel,
  type LabelToJudge,
  type PoisoningAlarm,
  type PoisoningPolicy,
  planFeedback,
} from "../src/domain/poisoning.js";

export interface SimSource {
  name: string;
  /** Chance its honest label is wrong. */
  noise: number;
  /** Chance it labels a given request. */
  share: number;
  /** From this request on, it flips this share of its labels. */
  turnsBad?: { atRequest: number; flipRate: number };
}

export interface SimOptions {
  seed: number;
  requests: number;
  sources: SimSource[];
  /** Chance a confident prediction is wrong (before `worseFrom`, and from it on). */
  modelError: number;
  worse?: { atRequest: number; modelError: number };
  /** Share of predictions that are confident. */
  confidentShare: number;
  classes: number;
  /** Simulated time between requests (ms). */
  requestEveryMs: number;
  batchLabels: number;
  policy: PoisoningPolicy;
  /** Labels of a request arrive over this many following requests (so sources' labels interleave). */
  spread: number;
}

export interface SimResult {
  alarms: PoisoningAlarm[];
  /** Per source, its labels in order: the request index of each. */
  labelsOf: Map<string, number[]>;
  state: FeedbackState;
  /** Per alarm, how many labels of the source came after its change (undefined for a clean source). */
  labelsAfterChange: (alarm: PoisoningAlarm) => number | undefined;
}

const start = Date.UTC(2026, 0, 1);

export function simulate(options: SimOptions): SimResult {
  const random = seededUniform(options.seed);
  const other = (label: number) =>
    (label + 1 + Math.floor(random() * (options.classes - 1))) % options.classes;
  const pending: { due: number; label: LabelToJudge & { request: number } }[] = [];
  const confident = new Map<string, string>();
  const first = new Map<string, FirstLabel>();
  const labelsOf = new Map<string, number[]>(options.sources.map((s) => [s.name, []]));
  const alarmIndex = new Map<PoisoningAlarm, number>();
  let state = emptyFeedbackState();
  const alarms: PoisoningAlarm[] = [];
  let batch: (LabelToJudge & { request: number })[] = [];
  const flush = (now: number) => {
    const judged = batch.map((l) => ({
      ...l,
      confidentLabel: confident.get(l.requestId),
      firstLabel: first.get(l.requestId),
    }));
    const plan = planFeedback(state, judged, options.policy, now);
    state = plan.state;
    for (const f of plan.firstLabels) if (!first.has(f.requestId)) first.set(f.requestId, f);
    for (const alarm of plan.alarms) {
      alarms.push(alarm);
      alarmIndex.set(alarm, (labelsOf.get(alarm.source) as number[]).length);
    }
    batch = [];
  };
  const deliver = (label: LabelToJudge & { request: number }, now: number) => {
    batch.push(label);
    (labelsOf.get(label.source) as number[]).push(label.request);
    if (batch.length >= options.batchLabels) flush(now);
  };
  for (let i = 0; i < options.requests; i++) {
    const at = start + i * options.requestEveryMs;
    const truth = Math.floor(random() * options.classes);
    const error =
      options.worse && i >= options.worse.atRequest ? options.worse.modelError : options.modelError;
    if (random() < options.confidentShare)
      confident.set(`r${i}`, String(random() < error ? other(truth) : truth));
    for (const source of options.sources) {
      if (random() >= source.share) continue;
      let label = random() < source.noise ? other(truth) : truth;
      const bad = source.turnsBad && i >= source.turnsBad.atRequest;
      if (bad && random() < (source.turnsBad?.flipRate ?? 0)) label = other(label);
      const due = i + Math.floor(random() * options.spread);
      pending.push({
        due,
        label: {
          source: source.name,
          label: String(label),
          requestId: `r${i}`,
          at: start + due * options.requestEveryMs,
          confidentLabel: undefined,
          firstLabel: undefined,
          request: i,
        },
      });
    }
    pending.sort((a, b) => a.due - b.due);
    while (pending[0] && pending[0].due <= i) deliver((pending.shift() as (typeof pending)[0]).label, at);
  }
  for (const p of pending) deliver(p.label, start + p.due * options.requestEveryMs);
  if (batch.length > 0) flush(start + options.requests * options.requestEveryMs);
  return {
    alarms,
    labelsOf,
    state,
    labelsAfterChange: (alarm) => {
      const source = options.sources.find((s) => s.name === alarm.source);
      if (!source?.turnsBad) return undefined;
      const atRequest = source.turnsBad.atRequest;
      const labels = (labelsOf.get(alarm.source) as number[]).slice(0, alarmIndex.get(alarm));
      return labels.filter((request) => request >= atRequest).length;
    },
  };
}
