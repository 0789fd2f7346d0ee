import { BaselineSource, type FeatureValue, InferenceEvent, ReportStatus } from "@argus/proto";
import { normalDraw as normal, seededUniform as rng } from "@argus/stats";
import { describe, expect, it } from "vitest";
import {
  type BaselineProfile,
  type CategoricalProfile,
  type NumericProfile,
  profileHash,
} from "../src/domain/baseline-profile.js";
import type { StoredBaseline } from "../src/domain/baseline-record.js";
import { defaultDriftConfig } from "../src/domain/drift-config.js";
import { evaluateWindow } from "../src/domain/evaluate.js";
import { profileFromWindow } from "../src/domain/frozen-window.js";
import { deltaFields } from "../src/domain/window-counters.js";
import { parseWindowState, type WindowState } from "../src/domain/window-state.js";
import { accumulateEvents } from "./accumulate-events.js";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const windowMs = defaultDriftConfig.windowMs;

/** Live traffic: amount ~ N(120, 30), 5 % missing; tenure ~ N(4, 2); channel web/app/store 60/30/10; a classifier. */
function traffic(seed: number, n: number, shift = 0): InferenceEvent[] {
  const random = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const features: Record<string, FeatureValue> = {
      tenure: { kind: { $case: "number", value: normal(random, 4, 2) + shift * 2 } },
    };
    if (random() >= 0.05) features.amount = { kind: { $case: "number", value: normal(random, 120, 30) } };
    const u = random();
    features.channel = { kind: { $case: "category", value: u < 0.6 ? "web" : u < 0.9 ? "app" : "store" } };
    const top = 0.5 + 0.5 * random();
    const label = random() < 0.25 ? "fraud" : "ok";
    return InferenceEvent.fromPartial({
      eventId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      modelId: "fraud",
      tenant: "acme",
      eventTime: new Date(T0 + Math.floor((i / n) * windowMs)),
      features,
      output: {
        kind: {
          $case: "classification",
          value: { label, scores: { [label]: top, [label === "ok" ? "fraud" : "ok"]: 1 - top } },
        },
      },
    });
  });
}

function windowState(events: InferenceEvent[]): WindowState {
  const hash: Record<string, string> = {};
  for (let i = 0; i < events.length; i += 250) {
    for (const delta of accumulateEvents(
      events.slice(i, i + 250),
      () => windowMs,
      () => undefined,
    ).values()) {
      for (const [field, count] of deltaFields(delta)) hash[field] = String(Number(hash[field] ?? 0) + count);
    }
  }
  return parseWindowState(hash);
}

function stored(profile: BaselineProfile): StoredBaseline {
  return {
    modelId: "fraud",
    tenant: "acme",
    version: 2,
    contentHash: profileHash(profile),
    source: BaselineSource.BASELINE_SOURCE_FROZEN_WINDOW,
    setBy: "tester",
    setAt: "2025-01-02T00:00:00.000Z",
    description: "last week was normal",
    profile,
  };
}

function evaluate(state: WindowState, baseline: StoredBaseline) {
  return evaluateWindow(
    { modelId: "fraud", windowStart: T0 + windowMs, windowMs, state },
    baseline,
    defaultDriftConfig,
    new Date(T0 + 3 * windowMs),
  );
}

describe("a baseline frozen from a window of live traffic", () => {
  const frozen = windowState(traffic(1, 3000));
  const profile = profileFromWindow("fraud", frozen);

  it("keeps the window's counts, missing values and types, and nothing exact", () => {
    expect(profile.modelId).toBe("fraud");
    expect(profile.rowCount).toBe(3000);
    expect(Object.keys(profile.features)).toEqual(["amount", "channel", "tenure"]);
    const amount = profile.features.amount as NumericProfile;
    expect(amount.type).toBe("numeric");
    expect(amount.count + amount.missing).toBe(3000);
    expect(amount.missing / 3000).toBeCloseTo(0.05, 1);
    expect(amount.exact).toBeUndefined();
    expect(amount.mean).toBeCloseTo(120, -1);
    expect(Math.abs(amount.std - 30) / 30).toBeLessThan(0.05);
    const channel = profile.features.channel as CategoricalProfile;
    expect(channel.type).toBe("categorical");
    expect(channel.count).toBe(3000);
    expect(channel.missing).toBe(0);
    expect(profile.pca).toBeUndefined();
  });

  it("keeps the prediction labels and the confidence distribution", () => {
    expect(profile.prediction?.type).toBe("categorical");
    expect(profile.prediction?.count).toBe(3000);
    expect(profile.confidence?.count).toBe(3000);
    expect(profile.confidence?.min).toBeGreaterThanOrEqual(0.5 * 0.99);
    expect(profile.confidence?.max).toBeLessThanOrEqual(1.01);
  });

  it("its sketch is exactly the window's buckets: the window compared with itself has statistic 0", () => {
    const report = evaluate(frozen, stored(profile));
    for (const feature of [...report.features, report.prediction, report.confidence]) {
      expect(feature?.statistic, feature?.feature).toBe(0);
      expect(feature?.drifted, feature?.feature).toBe(false);
      expect(feature?.outOfRangeRate, feature?.feature).toBe(0);
      expect(feature?.psi, feature?.feature).toBeCloseTo(0, 12);
    }
  });

  it.each([2, 3, 4])("a later window of the same distribution shows no drift (seed %i)", (seed) => {
    const report = evaluate(windowState(traffic(seed, 1500)), stored(profile));
    expect(report.status).toBe(ReportStatus.REPORT_STATUS_NO_DRIFT);
    expect(report.baselineVersion).toBe(2);
    expect(report.features.filter((f) => f.drifted)).toEqual([]);
    expect(report.features.every((f) => !f.missingRateDrift && !f.outOfRangeDrift)).toBe(true);
    expect(report.multivariate).toBeUndefined();
    expect(report.features.find((f) => f.feature === "amount")?.test).toBe("wasserstein");
  });

  it("a small frozen window (≤ 1000 events) uses KS and chi-square on its sketch and shows no drift", () => {
    const small = stored(profileFromWindow("fraud", windowState(traffic(5, 800))));
    const report = evaluate(windowState(traffic(6, 800)), small);
    expect(report.features.find((f) => f.feature === "amount")?.test).toBe("ks");
    expect(report.features.find((f) => f.feature === "channel")?.test).toBe("chisquare");
    expect(report.features.filter((f) => f.drifted)).toEqual([]);
    expect(report.status).toBe(ReportStatus.REPORT_STATUS_NO_DRIFT);
  });

  it("a later window with a 1-sd shift of tenure drifts tenure only", () => {
    const report = evaluate(windowState(traffic(7, 1500, 1)), stored(profile));
    expect(report.features.filter((f) => f.drifted).map((f) => f.feature)).toEqual(["tenure"]);
  });

  it("the same window frozen twice gives the same content hash", () => {
    const again = profileFromWindow("fraud", windowState(traffic(1, 3000)));
    expect(profileHash(again)).toBe(profileHash(profile));
    expect(profileHash(profileFromWindow("fraud", windowState(traffic(8, 3000))))).not.toBe(
      profileHash(profile),
    );
  });

  it("a window capped at 200 categories keeps the rest as other", () => {
    const hash: Record<string, string> = { n: "10", "f:city:c:paris": "6", "f:city:c:__other__": "4" };
    const city = profileFromWindow("m", parseWindowState(hash)).features.city as CategoricalProfile;
    expect(city.count).toBe(10);
    expect(city.counter.other).toBe(4);
    expect(city.counter.counts).toEqual([["paris", 6]]);
  });

  it("an empty window makes an empty profile, not NaN", () => {
    const empty = profileFromWindow("m", parseWindowState({ n: "0" }));
    expect(empty.rowCount).toBe(0);
    expect(empty.features).toEqual({});
    expect(empty.prediction).toBeUndefined();
    expect(empty.confidence).toBeUndefined();
  });
});
