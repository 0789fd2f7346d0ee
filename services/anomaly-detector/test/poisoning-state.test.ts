// How a model's poisoning state is stored in its Redis hash: what a plan writes reads back as the
// same state, the counters of the cumulative version (and damaged fields) are deleted, and forgotten
// sources are removed.
import { describe, expect, it } from "vitest";
import { feedbackStateWrites, parseFeedbackState } from "../src/adapters/poisoning-state.js";
import {
  emptyFeedbackState,
  type LabelToJudge,
  POISONING_POLICY_DEFAULTS,
  type PoisoningPolicy,
  planFeedback,
} from "../src/domain/poisoning.js";

const day = 86_400_000;
const policy: PoisoningPolicy = {
  ...POISONING_POLICY_DEFAULTS,
  minLabels: 50,
  zThreshold: 5,
  minRateGap: 0.15,
  changeSurprise: 13.8,
  minChangeGap: 0.1,
  minReference: 200,
  sourceTtlMs: 30 * day,
};
const t0 = Date.UTC(2026, 0, 1);
const label = (source: string, i: number, first?: string): LabelToJudge => ({
  source,
  label: i % 5 === 0 ? "deny" : "approve",
  requestId: `r${i}`,
  at: t0 + i,
  confidentLabel: "approve",
  firstLabel: first ? { source: first, label: "approve" } : undefined,
});

/** Applies HSET/HDEL commands to a plain hash, as Redis would. */
function apply(hash: Record<string, string>, commands: ReturnType<typeof feedbackStateWrites>) {
  const next = { ...hash };
  for (const [verb, , ...args] of commands) {
    if (verb === "HDEL") for (const field of args) delete next[String(field)];
    if (verb === "HSET") for (let i = 0; i < args.length; i += 2) next[String(args[i])] = String(args[i + 1]);
  }
  return next;
}

describe("the poisoning state in Redis", () => {
  it("reads back what a plan wrote, drops the old cumulative counters and expires with the source TTL", () => {
    const old = {
      "vendor-a|confident": "40",
      "vendor-a|confident_predictions|alarmed": "1",
      model: "{not json",
    };
    const loaded = parseFeedbackState(old);
    expect(loaded.stale.sort()).toEqual(Object.keys(old).sort());
    const labels = Array.from({ length: 40 }, (_, i) => label(i % 2 ? "vendor a/β" : "users", i, "import"));
    const plan = planFeedback(loaded.state, labels, policy, t0);
    const commands = feedbackStateWrites("k", loaded, plan, policy.sourceTtlMs);
    expect(commands).toContainEqual(["PEXPIRE", "k", policy.sourceTtlMs]);
    const stored = apply(old, commands);
    expect(Object.keys(stored).sort()).toEqual(
      ["model", "source:import", "source:users", `source:${encodeURIComponent("vendor a/β")}`].sort(),
    );
    expect(parseFeedbackState(stored)).toEqual({ state: plan.state, stale: [] });
  });

  it("removes the fields of forgotten sources", () => {
    const first = planFeedback(emptyFeedbackState(), [label("old", 1), label("busy", 2)], policy, t0);
    const stored = apply({}, feedbackStateWrites("k", { state: emptyFeedbackState(), stale: [] }, first, 1));
    const loaded = parseFeedbackState(stored);
    const later = planFeedback(loaded.state, [label("busy", 3)], policy, t0 + 31 * day);
    const after = apply(stored, feedbackStateWrites("k", loaded, later, 1));
    expect(Object.keys(after).sort()).toEqual(["model", "source:busy"]);
  });
});
