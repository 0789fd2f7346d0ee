// The poisoning planner on its own (pure, fake clock, seeded labelling): a source that turns bad
// after weeks of clean labels, one bad from its start, clean sources at honest disagreement rates of
// 5–25 %, a model that got worse for everyone, and the state's bounds.
import { describe, expect, it } from "vitest";
import {
  emptyFeedbackState,
  type LabelToJudge,
  POISONING_POLICY_DEFAULTS,
  type PoisoningPolicy,
  planFeedback,
} from "../src/domain/poisoning.js";
import { poisoningFinding } from "../src/domain/poisoning-finding.js";
import { type SimOptions, type SimSource, simulate } from "./poisoning-sim.js";

const day = 86_400_000;
const SIMULATION_BUDGET_MS = 60_000;
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

/** 12,000 requests two minutes apart (about 17 days), each labelled by each source with chance `share`. */
function run(sources: SimSource[], overrides: Partial<SimOptions> & { seed: number }) {
  return simulate({
    requests: 12_000,
    sources,
    modelError: 0.03,
    confidentShare: 1,
    classes: 2,
    requestEveryMs: 120_000,
    batchLabels: 5,
    policy,
    spread: 20,
    ...overrides,
  });
}

const honest = (name: string, noise: number, share = 0.5): SimSource => ({ name, noise, share });

describe("a label source that turns bad after a long clean history", {
  timeout: SIMULATION_BUDGET_MS,
}, () => {
  // Honest labels disagree with the confident predictions ~8 % of the time (3 % model error, 5 %
  // annotator error); from request 9,600 (after ~4,800 clean labels over 13 simulated days) one source
  // flips 30 % of its labels.
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`is flagged within 150 of its labels after the change, and no clean source is (seed ${seed})`, () => {
      const changeAt = 9_600;
      const result = run(
        [
          { ...honest("vendor-a", 0.05), turnsBad: { atRequest: changeAt, flipRate: 0.3 } },
          honest("vendor-b", 0.05),
          honest("users", 0.05, 0.3),
          honest("import", 0.05, 0.7),
        ],
        { seed },
      );
      expect(result.alarms.filter((a) => a.source !== "vendor-a")).toEqual([]);
      const first = result.alarms.find((a) => a.source === "vendor-a");
      expect(first?.test).toBe("change");
      expect(result.labelsOf.get("vendor-a")?.filter((r) => r < changeAt).length).toBeGreaterThan(4_000);
      const after = first ? (result.labelsAfterChange(first) as number) : Number.POSITIVE_INFINITY;
      expect(after).toBeGreaterThan(0);
      expect(after).toBeLessThanOrEqual(150);
      if (first?.test !== "change") return;
      expect(first.evidence.rate).toBeGreaterThan(first.evidence.referenceRate + 0.1);
      expect(first.evidence.referenceRate).toBeLessThan(0.15);
      // "Since about": the window starts near the change (its first label is at most a window early).
      const changeTime = Date.UTC(2026, 0, 1) + changeAt * 120_000;
      expect(Math.abs(first.evidence.since - changeTime)).toBeLessThan(policy.blockLabels * 4 * 120_000 * 2);
    });
  }

  it("says which source, which basis, the recent and reference rates and since when", () => {
    const result = run(
      [
        { ...honest("vendor-a", 0.05), turnsBad: { atRequest: 9_600, flipRate: 0.3 } },
        honest("vendor-b", 0.05),
        honest("users", 0.05),
      ],
      { seed: 11 },
    );
    const alarm = result.alarms[0];
    if (alarm?.test !== "change") throw new Error("expected a change alarm");
    const finding = poisoningFinding("credit-risk", "acme", alarm, policy);
    expect(finding.subject?.source).toBe("vendor-a");
    expect(finding.evidence).toMatchObject({
      basis: alarm.basis,
      test: "change",
      since: new Date(alarm.evidence.since).toISOString(),
      reference_rate: alarm.evidence.referenceRate.toFixed(4),
      disagreement_rate: alarm.evidence.rate.toFixed(4),
    });
    expect(finding.summary).toContain('"vendor-a"');
    expect(finding.summary).toContain(`since about ${new Date(alarm.evidence.since).toISOString()}`);
    expect(finding.summary).toContain(`up from ${(alarm.evidence.referenceRate * 100).toFixed(1)}%`);
    expect(finding.observedAt?.getTime()).toBe(alarm.at);
  });

  it("is caught on the other-sources basis when the model makes no confident predictions", () => {
    for (const seed of [21, 22, 23]) {
      const result = run(
        [
          { ...honest("vendor-a", 0.05, 0.7), turnsBad: { atRequest: 9_600, flipRate: 0.3 } },
          honest("vendor-b", 0.05, 0.7),
          honest("users", 0.05, 0.7),
          honest("import", 0.05, 0.7),
        ],
        { seed, confidentShare: 0 },
      );
      expect(result.alarms.map((a) => `${a.source}:${a.basis}:${a.test}`)).toEqual([
        "vendor-a:other_sources:change",
      ]);
    }
  });

  it("flipping a smaller share is caught later or not at all, and never puts a clean source in its place", () => {
    const delays = [31, 32, 33, 34].map((seed) => {
      const result = run(
        [
          { ...honest("vendor-a", 0.05), turnsBad: { atRequest: 9_600, flipRate: 0.12 } },
          honest("vendor-b", 0.05),
          honest("users", 0.05),
        ],
        { seed },
      );
      expect(result.alarms.filter((a) => a.source !== "vendor-a")).toEqual([]);
      const first = result.alarms[0];
      return first ? (result.labelsAfterChange(first) as number) : Number.POSITIVE_INFINITY;
    });
    expect(Math.min(...delays)).toBeGreaterThan(0);
  });
});

describe("a label source bad from its start", { timeout: SIMULATION_BUDGET_MS }, () => {
  it("is caught against the other sources (level test), as before", () => {
    for (const seed of [41, 42, 43]) {
      const result = run(
        [
          { ...honest("flipper", 0.05), turnsBad: { atRequest: 0, flipRate: 0.3 } },
          honest("vendor-b", 0.05),
          honest("users", 0.05),
        ],
        { seed, requests: 2_000 },
      );
      expect(result.alarms.map((a) => a.source)).toContain("flipper");
      expect(result.alarms.filter((a) => a.source !== "flipper")).toEqual([]);
      const first = result.alarms[0];
      expect(first?.test).toBe("level");
      expect(first ? result.labelsAfterChange(first) : undefined).toBeLessThanOrEqual(150);
    }
  });
});

describe("clean sources", { timeout: SIMULATION_BUDGET_MS }, () => {
  // Honest disagreement with the confident predictions (model error e, annotator error h):
  // e + h − 2eh, from 5 % to 25 %.
  const settings = [
    { modelError: 0.05, noise: 0 },
    { modelError: 0.03, noise: 0.05 },
    { modelError: 0.05, noise: 0.1 },
    { modelError: 0.1, noise: 0.1 },
    { modelError: 0.15, noise: 0.12 },
    { modelError: 0.2, noise: 0.06 },
  ];
  for (const { modelError, noise } of settings) {
    it(`are not flagged over long runs at ${((modelError + noise - 2 * modelError * noise) * 100).toFixed(0)} % honest disagreement`, () => {
      for (const seed of [51, 52]) {
        const sources = Array.from({ length: 8 }, (_, i) =>
          honest(`source-${i}`, noise * (0.75 + (0.5 * i) / 7), 0.4),
        );
        // Batches of 50 labels: only alarms are counted here, not when they came.
        const result = run(sources, { seed, modelError, requests: 15_000, batchLabels: 50 });
        expect(result.alarms).toEqual([]);
      }
    });
  }

  it("are not flagged when the model gets worse for everyone", () => {
    for (const seed of [61, 62, 63]) {
      const result = run([honest("vendor-a", 0.05), honest("vendor-b", 0.08), honest("users", 0.12)], {
        seed,
        modelError: 0.05,
        worse: { atRequest: 9_600, modelError: 0.25 },
      });
      expect(result.alarms).toEqual([]);
    }
  });

  it("are not flagged on the other-sources basis when there is no third source to tell who changed", () => {
    const result = run(
      [
        { ...honest("vendor-a", 0.05, 0.8), turnsBad: { atRequest: 9_600, flipRate: 0.3 } },
        honest("users", 0.05, 0.8),
      ],
      { seed: 71 },
    );
    expect(result.alarms.map((a) => `${a.source}:${a.basis}`)).toEqual(["vendor-a:confident_predictions"]);
  });
});

describe("the state", { timeout: SIMULATION_BUDGET_MS }, () => {
  const label = (source: string, i: number, at: number): LabelToJudge => ({
    source,
    label: i % 7 === 0 ? "deny" : "approve",
    requestId: `r${i}`,
    at,
    confidentLabel: "approve",
    firstLabel: undefined,
  });

  it("keeps a bounded window per source and basis, however long the history", () => {
    const result = run([honest("vendor-a", 0.05), honest("vendor-b", 0.05)], { seed: 81, requests: 20_000 });
    for (const history of Object.values(result.state.sources)) {
      expect(history.confident.blocks.length).toBeLessThanOrEqual(policy.recentBlocks + 1);
      expect(history.cross.blocks.length).toBeLessThanOrEqual(policy.recentBlocks + 1);
      expect(history.confident.reference.n).toBeLessThanOrEqual(policy.maxReference);
      expect(history.confident.labels).toBeGreaterThan(9_000);
    }
  });

  it("forgets a source silent beyond the TTL (wall clock), and keeps one that labels", () => {
    const t0 = Date.UTC(2026, 0, 1);
    let state = emptyFeedbackState();
    state = planFeedback(state, [label("old", 1, t0), label("busy", 2, t0)], policy, t0).state;
    const later = planFeedback(state, [label("busy", 3, t0 + 29 * day)], policy, t0 + 29 * day);
    expect(later.forgotten).toEqual([]);
    const after = planFeedback(later.state, [label("busy", 4, t0 + 31 * day)], policy, t0 + 31 * day);
    expect(after.forgotten).toEqual(["old"]);
    expect(Object.keys(after.state.sources)).toEqual(["busy"]);
  });

  it("remembers at most maxSources sources per model, forgetting the least recently seen", () => {
    const t0 = Date.UTC(2026, 0, 1);
    const small = { ...policy, maxSources: 3 };
    let state = emptyFeedbackState();
    for (const [i, source] of ["a", "b", "c", "d"].entries())
      state = planFeedback(state, [label(source, i, t0 + i)], small, t0 + i).state;
    expect(Object.keys(state.sources).sort()).toEqual(["b", "c", "d"]);
  });

  it("counts a request's first label from another source once per later label, and not against its own source", () => {
    const t0 = Date.UTC(2026, 0, 1);
    const plan = planFeedback(
      emptyFeedbackState(),
      [
        { ...label("a", 1, t0), label: "approve" },
        { ...label("a", 1, t0), label: "deny" },
        { ...label("b", 1, t0), label: "deny" },
      ],
      policy,
      t0,
    );
    expect(plan.firstLabels).toEqual([{ requestId: "r1", source: "a", label: "approve" }]);
    expect(plan.state.cross).toEqual({ n: 1, k: 1 });
    expect(plan.state.sources.b?.cross.labels).toBe(1);
    expect(plan.state.sources.a?.cross.labels).toBe(0);
    expect(plan.state.confident).toEqual({ n: 3, k: 2 });
  });
});
