import {
  BaselineSource,
  DriftReport,
  type FeatureDrift,
  type FeatureValue,
  InferenceEvent,
  ReportStatus,
} from "@argus/proto";
import { normalDraw as normal, seededUniform as rng } from "@argus/stats";
import { describe, expect, it } from "vitest";
import { BaselineBuilder, type ReferenceRowInput } from "../src/domain/baseline-profile.js";
import type { StoredBaseline } from "../src/domain/baseline-record.js";
import { type DriftModelConfig, defaultDriftConfig } from "../src/domain/drift-config.js";
import { evaluateWindow } from "../src/domain/evaluate.js";
import { compactWindow } from "../src/domain/window-compaction.js";
import { deltaFields, type PcaContext, type WindowDelta } from "../src/domain/window-counters.js";
import { parseWindowState, type WindowState } from "../src/domain/window-state.js";
import { accumulateEvents } from "./accumulate-events.js";

// ---- helpers ----

function pick<T>(random: () => number, weighted: [T, number][]): T {
  let u = random();
  for (const [value, weight] of weighted) {
    if (u < weight) return value;
    u -= weight;
  }
  return (weighted[weighted.length - 1] as [T, number])[0];
}

type Cell = number | string | undefined;
interface Row {
  features: Record<string, Cell>;
  label?: string;
  scores?: Record<string, number>;
}

interface Shape {
  xShift?: number;
  xScale?: number;
  plan?: [string, number][];
  yMissing?: number;
  positiveShare?: number;
  confidence?: [number, number];
}

const plans: [string, number][] = [
  ["basic", 0.5],
  ["premium", 0.3],
  ["gold", 0.2],
];

/** A credit-like row: x ~ N(0, 1), y ~ N(10, 2), age ~ round(N(45, 12)), plan 50/30/20, a yes/no classifier. */
function row(random: () => number, shape: Shape = {}): Row {
  const x = normal(random) * (shape.xScale ?? 1) + (shape.xShift ?? 0);
  const y = random() < (shape.yMissing ?? 0) ? undefined : normal(random, 10, 2);
  const age = Math.round(normal(random, 45, 12));
  const plan = pick(random, shape.plan ?? plans);
  const [low, high] = shape.confidence ?? [0.5, 1];
  const top = low + (high - low) * random();
  const label = random() < (shape.positiveShare ?? 0.3) ? "yes" : "no";
  const other = label === "yes" ? "no" : "yes";
  return { features: { x, y, age, plan }, label, scores: { [label]: top, [other]: 1 - top } };
}

const rows = (seed: number, n: number, shape: Shape = {}) => {
  const random = rng(seed);
  return Array.from({ length: n }, () => row(random, shape));
};

function baselineOf(
  reference: Row[],
  options: { categorical?: string[]; pca?: number; version?: number } = {},
) {
  const builder = new BaselineBuilder("credit", new Set(options.categorical ?? []), options.pca ?? 0);
  for (const r of reference) {
    const input: ReferenceRowInput = { features: r.features };
    if (r.label !== undefined) input.prediction = r.label;
    if (r.scores) input.scores = r.scores;
    builder.addRow(input);
  }
  const stored: StoredBaseline = {
    modelId: "credit",
    tenant: "acme",
    version: options.version ?? 1,
    contentHash: "hash",
    source: BaselineSource.BASELINE_SOURCE_CSV,
    setBy: "tester",
    setAt: "2025-01-01T00:00:00.000Z",
    description: "",
    profile: builder.build(),
  };
  return stored;
}

const T0 = Date.parse("2025-01-01T00:00:00Z");
const windowMs = defaultDriftConfig.windowMs;

function toEvent(r: Row, i: number): InferenceEvent {
  const features: Record<string, FeatureValue> = {};
  for (const [name, value] of Object.entries(r.features)) {
    if (value === undefined) continue;
    features[name] =
      typeof value === "number"
        ? { kind: { $case: "number", value } }
        : { kind: { $case: "category", value } };
  }
  return InferenceEvent.fromPartial({
    eventId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    modelId: "credit",
    tenant: "acme",
    eventTime: new Date(T0 + (i % windowMs)),
    features,
    ...(r.label !== undefined
      ? { output: { kind: { $case: "classification", value: { label: r.label, scores: r.scores ?? {} } } } }
      : {}),
  });
}

/** Events → window counters (split in batches, as replicas would) → Redis hash → parsed state. */
function windowOf(current: Row[], pca?: PcaContext): WindowState {
  const hash: Record<string, string> = {};
  const events = current.map(toEvent);
  for (let i = 0; i < events.length; i += 97) {
    const deltas = accumulateEvents(
      events.slice(i, i + 97),
      () => windowMs,
      () => pca,
    );
    for (const delta of deltas.values()) addToHash(hash, delta);
  }
  return parseWindowState(hash);
}

function addToHash(hash: Record<string, string>, delta: WindowDelta): void {
  expect(delta.windowStart).toBe(T0);
  for (const [field, count] of deltaFields(delta)) hash[field] = String(Number(hash[field] ?? 0) + count);
  if (delta.pcaBaselineVersion !== undefined) hash["mv:bv"] = String(delta.pcaBaselineVersion);
}

function evaluate(
  state: WindowState,
  baseline: StoredBaseline | undefined,
  config: Partial<DriftModelConfig> = {},
) {
  return evaluateWindow(
    { modelId: "credit", windowStart: T0, windowMs, state },
    baseline,
    { ...defaultDriftConfig, ...config },
    new Date(T0 + 2 * windowMs),
  );
}

function feature(report: ReturnType<typeof evaluate>, name: string): FeatureDrift {
  const found = report.features.find((f) => f.feature === name);
  if (!found) throw new Error(`no result for feature ${name}`);
  return found;
}

function expectWellFormed(f: FeatureDrift): void {
  for (const key of [
    "statistic",
    "pValue",
    "threshold",
    "psi",
    "missingRate",
    "outOfRangeRate",
    "mean",
  ] as const) {
    expect(Number.isFinite(f[key]), `${f.feature}.${key} = ${f[key]}`).toBe(true);
  }
}

const drifted = (report: ReturnType<typeof evaluate>) =>
  report.features.filter((f) => f.drifted).map((f) => f.feature);

// ---- tests ----

describe("small reference (≤ 1000 rows): KS and chi-square", () => {
  const baseline = baselineOf(rows(1, 800));

  it("uses KS for numbers and chi-square for categories, with Evidently's p < 0.05", () => {
    const report = evaluate(windowOf(rows(2, 600)), baseline);
    expect(feature(report, "x").test).toBe("ks");
    expect(feature(report, "plan").test).toBe("chisquare");
    expect(feature(report, "x").threshold).toBe(0.05);
    expect(report.prediction?.test).toBe("chisquare");
    expect(report.confidence?.test).toBe("ks");
    expect(report.baselineVersion).toBe(1);
  });

  it.each([2, 3, 4])("no drift on a window of the same distribution (seed %i)", (seed) => {
    const report = evaluate(windowOf(rows(seed, 600)), baseline);
    expect(drifted(report)).toEqual([]);
    expect(report.status).toBe(ReportStatus.REPORT_STATUS_NO_DRIFT);
    expect(report.datasetDrift).toBe(false);
    expect(report.prediction?.drifted).toBe(false);
    expect(report.confidence?.drifted).toBe(false);
    for (const f of report.features) {
      expectWellFormed(f);
      expect(f.missingRateDrift, f.feature).toBe(false);
      expect(f.outOfRangeDrift, f.feature).toBe(false);
      expect(f.pValue, f.feature).toBeGreaterThan(0.001);
    }
  });

  it("a 1-sd shift of x drifts x only", () => {
    const report = evaluate(windowOf(rows(5, 600, { xShift: 1 })), baseline);
    expect(drifted(report)).toEqual(["x"]);
    expect(feature(report, "x").pValue).toBeLessThan(1e-10);
    expect(feature(report, "x").mean - feature(report, "x").referenceMean).toBeCloseTo(1, 0);
    expect(report.status).toBe(ReportStatus.REPORT_STATUS_DRIFT);
  });

  it("changed category shares drift the categorical feature", () => {
    const shifted: [string, number][] = [
      ["basic", 0.3],
      ["premium", 0.3],
      ["gold", 0.4],
    ];
    const report = evaluate(windowOf(rows(6, 600, { plan: shifted })), baseline);
    expect(drifted(report)).toEqual(["plan"]);
    const plan = feature(report, "plan");
    expect(plan.pValue).toBeLessThan(1e-6);
    // the two categories that moved come first
    expect(
      plan.topBins
        .slice(0, 2)
        .map((b) => b.bin)
        .sort(),
    ).toEqual(["basic", "gold"]);
    const gold = plan.topBins.find((b) => b.bin === "gold");
    expect(gold?.currentShare).toBeGreaterThan(0.35);
    expect(gold?.referenceShare).toBeLessThan(0.25);
  });

  it("prediction drift when the predicted label shares change; confidence drift when scores drop", () => {
    const report = evaluate(windowOf(rows(7, 600, { positiveShare: 0.6, confidence: [0.5, 0.7] })), baseline);
    expect(report.prediction?.drifted).toBe(true);
    expect(report.confidence?.drifted).toBe(true);
    expect(report.confidence?.mean).toBeLessThan(report.confidence?.referenceMean ?? 0);
    expect(report.status).toBe(ReportStatus.REPORT_STATUS_DRIFT);
  });
});

describe("large reference (> 1000 rows): normalized Wasserstein and Jensen-Shannon", () => {
  const baseline = baselineOf(rows(11, 5000));

  it("uses Wasserstein (0.1) for numbers and Jensen-Shannon (0.1) for categories", () => {
    const report = evaluate(windowOf(rows(12, 2000)), baseline);
    expect(feature(report, "x").test).toBe("wasserstein");
    expect(feature(report, "plan").test).toBe("jensenshannon");
    expect(feature(report, "x").threshold).toBe(0.1);
    expect(feature(report, "plan").threshold).toBe(0.1);
  });

  it.each([12, 13, 14])("no drift on a window of the same distribution (seed %i)", (seed) => {
    const report = evaluate(windowOf(rows(seed, 2000)), baseline);
    expect(drifted(report)).toEqual([]);
    expect(report.status).toBe(ReportStatus.REPORT_STATUS_NO_DRIFT);
    for (const f of report.features) {
      expectWellFormed(f);
      expect(f.statistic, f.feature).toBeLessThan(0.06);
      expect(f.psi, f.feature).toBeLessThan(0.05);
      expect(f.outOfRangeDrift, f.feature).toBe(false);
    }
  });

  it("a 0.5-sd shift of x: normalized W1 ≈ 0.5, drifted, the upper tail is the top bin", () => {
    const report = evaluate(windowOf(rows(15, 2000, { xShift: 0.5 })), baseline);
    expect(drifted(report)).toEqual(["x"]);
    const x = feature(report, "x");
    expect(x.statistic).toBeGreaterThan(0.4);
    expect(x.statistic).toBeLessThan(0.6);
    expect(x.psi).toBeGreaterThan(0.1);
    expect(x.topBins[0]?.bin).toMatch(/\.\.\+inf$/);
    expect(x.topBins[0]?.currentShare).toBeGreaterThan(x.topBins[0]?.referenceShare ?? 1);
  });

  it("a downward shift names the lower tail", () => {
    const x = feature(evaluate(windowOf(rows(16, 2000, { xShift: -0.5 })), baseline), "x");
    expect(x.drifted).toBe(true);
    expect(x.topBins[0]?.bin).toMatch(/^-inf\.\./);
  });

  it("a widened spread (same mean) drifts too", () => {
    const x = feature(evaluate(windowOf(rows(17, 2000, { xScale: 2 })), baseline), "x");
    expect(x.drifted).toBe(true);
    expect(Math.abs(x.mean - x.referenceMean)).toBeLessThan(0.15);
  });

  it("category shares moving by 0.2 give a JS distance above 0.1", () => {
    const plan = feature(
      evaluate(
        windowOf(
          rows(18, 2000, {
            plan: [
              ["basic", 0.3],
              ["premium", 0.3],
              ["gold", 0.4],
            ],
          }),
        ),
        baseline,
      ),
      "plan",
    );
    expect(plan.drifted).toBe(true);
    expect(plan.statistic).toBeGreaterThan(0.1);
  });
});

describe("data quality: missing and out-of-range rates", () => {
  const baseline = baselineOf(rows(21, 3000, { yMissing: 0.02 }));

  it("missing rate: the window's share of events without the value, against the baseline's", () => {
    const report = evaluate(windowOf(rows(22, 1000, { yMissing: 0.5 })), baseline);
    const y = feature(report, "y");
    expect(y.referenceMissingRate).toBeCloseTo(0.02, 2);
    expect(y.missingRate).toBeCloseTo(0.5, 1);
    expect(y.missingRateDrift).toBe(true);
    expect(y.drifted).toBe(false); // the values that remain still look alike
    expect(feature(report, "x").missingRateDrift).toBe(false);
  });

  it("a feature that stopped arriving altogether: missing 100 %, no NaN", () => {
    const current = rows(23, 500).map((r) => ({ ...r, features: { ...r.features, y: undefined } }));
    const y = feature(evaluate(windowOf(current), baseline), "y");
    expect(y.missingRate).toBe(1);
    expect(y.missingRateDrift).toBe(true);
    expect(y.count).toBe(0);
    expectWellFormed(y);
  });

  it("out of range: values beyond the reference's min and max", () => {
    const random = rng(24);
    const current = rows(25, 1000).map((r, i) => ({
      ...r,
      features: { ...r.features, x: i % 5 === 0 ? 20 + random() : (r.features.x as number) },
    }));
    const x = feature(evaluate(windowOf(current), baseline), "x");
    expect(x.outOfRangeRate).toBeCloseTo(0.2, 2);
    expect(x.outOfRangeDrift).toBe(true);
  });

  it("an integer feature whose values sit on the reference min and max is in range", () => {
    // age is rounded: many window values equal the reference's exact min or max
    const report = evaluate(windowOf(rows(26, 1000)), baseline);
    const age = feature(report, "age");
    expect(age.outOfRangeRate).toBeLessThan(0.01);
    expect(age.outOfRangeDrift).toBe(false);
  });

  it("ratings 1..5 (every value is a reference extreme or between): no out-of-range, no drift", () => {
    const ratings = (seed: number, n: number) => {
      const random = rng(seed);
      return Array.from({ length: n }, () => ({
        features: { rating: 1 + Math.floor(random() * 5), amount: normal(random, 50, 10) },
      }));
    };
    for (const referenceRows of [400, 4000]) {
      const stars = baselineOf(ratings(27, referenceRows));
      const rating = feature(evaluate(windowOf(ratings(28, 4000)), stars), "rating");
      expect(rating.outOfRangeRate, `${referenceRows} reference rows`).toBe(0);
      expect(rating.drifted, `${referenceRows} reference rows`).toBe(false);
    }
  });

  it("unseen categories count as out of range when the baseline tracked all of its own", () => {
    const current = rows(29, 1000).map((r, i) => ({
      ...r,
      features: { ...r.features, plan: i % 10 === 0 ? "platinum" : r.features.plan },
    }));
    const plan = feature(evaluate(windowOf(current), baseline), "plan");
    expect(plan.outOfRangeRate).toBeCloseTo(0.1, 2);
    expect(plan.outOfRangeDrift).toBe(true);
    expect(plan.topBins[0]?.bin).toBe("platinum");
  });
});

describe("report status", () => {
  const baseline = baselineOf(rows(31, 500));

  it("NO_BASELINE without a baseline: counts, no comparisons", () => {
    const report = evaluate(windowOf(rows(32, 200)), undefined);
    expect(report.status).toBe(ReportStatus.REPORT_STATUS_NO_BASELINE);
    expect(report.eventCount).toBe(200);
    expect(report.baselineVersion).toBe(0);
    expect(report.features).toEqual([]);
  });

  it("INSUFFICIENT_DATA below minWindowEvents, a verdict from minWindowEvents on", () => {
    expect(evaluate(windowOf(rows(33, 29)), baseline).status).toBe(
      ReportStatus.REPORT_STATUS_INSUFFICIENT_DATA,
    );
    expect(evaluate(windowOf(rows(33, 30)), baseline).status).toBe(ReportStatus.REPORT_STATUS_NO_DRIFT);
    const configured = evaluate(windowOf(rows(33, 99)), baseline, { minWindowEvents: 100 });
    expect(configured.status).toBe(ReportStatus.REPORT_STATUS_INSUFFICIENT_DATA);
    expect(configured.features).toEqual([]);
  });

  it("an empty window is INSUFFICIENT_DATA, not an error", () => {
    const report = evaluate(parseWindowState({}), baseline);
    expect(report.status).toBe(ReportStatus.REPORT_STATUS_INSUFFICIENT_DATA);
    expect(report.eventCount).toBe(0);
  });

  it("window bounds and the late count are reported", () => {
    const state = windowOf(rows(34, 100));
    state.late = 3;
    const report = evaluate(state, baseline);
    expect(report.windowStart?.getTime()).toBe(T0);
    expect(report.windowEnd?.getTime()).toBe(T0 + windowMs);
    expect(report.lateEventCount).toBe(3);
  });
});

describe("dataset drift", () => {
  // four numeric features; shifting k of them drifts exactly those
  function quad(seed: number, n: number, shifted: number): Row[] {
    const random = rng(seed);
    return Array.from({ length: n }, () => ({
      features: Object.fromEntries(
        ["f1", "f2", "f3", "f4"].map((name, i) => [name, normal(random) + (i < shifted ? 1 : 0)]),
      ),
    }));
  }
  const baseline = baselineOf(quad(41, 3000, 0));

  it.each([
    [0, 0, false],
    [1, 0.25, false],
    [2, 0.5, true],
    [3, 0.75, true],
  ])(
    "%i of 4 features drifted → share %f, dataset drift %s (threshold 0.5, inclusive)",
    (k, share, expected) => {
      const report = evaluate(windowOf(quad(42 + k, 1000, k)), baseline);
      expect(report.driftedFeatureShare).toBe(share);
      expect(report.datasetDrift).toBe(expected);
      expect(report.datasetDriftThreshold).toBe(0.5);
    },
  );

  it("the share threshold is configurable", () => {
    const report = evaluate(windowOf(quad(50, 1000, 1)), baseline, { datasetDriftShare: 0.25 });
    expect(report.datasetDrift).toBe(true);
  });
});

describe("configuration", () => {
  it("a per-feature threshold overrides the test's default", () => {
    const baseline = baselineOf(rows(61, 3000));
    const window = windowOf(rows(62, 1000, { xShift: 0.3 }));
    expect(feature(evaluate(window, baseline), "x").drifted).toBe(true);
    const relaxed = feature(evaluate(window, baseline, { featureThresholds: { x: 0.5 } }), "x");
    expect(relaxed.threshold).toBe(0.5);
    expect(relaxed.drifted).toBe(false);
  });

  it("smallReferenceRows moves the switch between the small- and large-sample tests", () => {
    const baseline = baselineOf(rows(63, 1500));
    const window = windowOf(rows(64, 500));
    expect(feature(evaluate(window, baseline), "x").test).toBe("wasserstein");
    expect(feature(evaluate(window, baseline, { smallReferenceRows: 2000 }), "x").test).toBe("ks");
    const small = baselineOf(rows(63, 1000));
    expect(feature(evaluate(window, small), "x").test).toBe("ks"); // ≤ 1000 is small
  });
});

describe("multivariate drift (PCA reconstruction)", () => {
  function linked(seed: number, n: number, broken: boolean): Row[] {
    const random = rng(seed);
    return Array.from({ length: n }, () => {
      const a = normal(random);
      const driver = broken ? normal(random) : a;
      return { features: { a, b: driver + normal(random, 0, 0.1), c: normal(random) } };
    });
  }
  const baseline = baselineOf(linked(71, 3000, false), { pca: 1, version: 3 });
  const pca = { model: baseline.profile.pca as never, baselineVersion: 3 };

  it("a broken correlation that no single feature shows is caught", () => {
    const report = evaluate(windowOf(linked(72, 1000, true), pca), baseline);
    expect(drifted(report)).toEqual([]); // each marginal is still N(0, 1)
    expect(report.multivariate?.drifted).toBe(true);
    expect(report.multivariate?.reconstructionError).toBeGreaterThan(report.multivariate?.threshold ?? 0);
    expect(report.status).toBe(ReportStatus.REPORT_STATUS_DRIFT);
  });

  it("the same joint distribution does not drift", () => {
    const report = evaluate(windowOf(linked(73, 1000, false), pca), baseline);
    expect(report.multivariate?.drifted).toBe(false);
    expect(report.multivariate?.method).toBe("pca_reconstruction");
    expect(report.status).toBe(ReportStatus.REPORT_STATUS_NO_DRIFT);
  });

  it("errors computed under another baseline version are not compared", () => {
    const report = evaluate(windowOf(linked(74, 500, true), { ...pca, baselineVersion: 2 }), baseline);
    expect(report.multivariate).toBeUndefined();
  });
});

describe("edge cases", () => {
  it("a constant feature compared with the same constant does not drift (small and large reference)", () => {
    for (const n of [300, 3000]) {
      const baseline = baselineOf(rows(81, n).map((r) => ({ features: { ...r.features, version: 3 } })));
      const report = evaluate(
        windowOf(rows(82, 500).map((r) => ({ features: { ...r.features, version: 3 } }))),
        baseline,
      );
      const version = feature(report, "version");
      expectWellFormed(version);
      expect(version.drifted, `${n} rows`).toBe(false);
      expect(version.outOfRangeRate, `${n} rows`).toBe(0);
    }
  });

  it("a constant reference feature that starts to vary drifts", () => {
    const baseline = baselineOf(rows(83, 3000).map((r) => ({ features: { ...r.features, version: 3 } })));
    const report = evaluate(
      windowOf(rows(84, 500).map((r, i) => ({ features: { ...r.features, version: 3 + (i % 2) } }))),
      baseline,
    );
    expect(feature(report, "version").drifted).toBe(true);
    expect(feature(report, "version").outOfRangeDrift).toBe(true);
  });

  it("a feature far from zero with a small spread (N(1000, 1)) does not drift on the same distribution", () => {
    const level = (seed: number, n: number) => {
      const random = rng(seed);
      return Array.from({ length: n }, () => ({ features: { level: normal(random, 1000, 1) } }));
    };
    const small = evaluate(windowOf(level(85, 500)), baselineOf(level(86, 500)));
    expect(feature(small, "level").drifted).toBe(false);
  });

  it("a numeric feature whose window values arrive as categories: counted missing, no crash, no NaN", () => {
    const baseline = baselineOf(rows(87, 500));
    const current = rows(88, 200).map((r) => ({ ...r, features: { ...r.features, x: "n/a" } }));
    const x = feature(evaluate(windowOf(current), baseline), "x");
    expectWellFormed(x);
    expect(x.drifted).toBe(false);
    expect(x.missingRate).toBe(1);
    expect(x.missingRateDrift).toBe(true);
  });

  it("a categorical feature whose window values arrive as numbers: counted missing, no crash", () => {
    const baseline = baselineOf(rows(89, 3000));
    const current = rows(90, 200).map((r) => ({ ...r, features: { ...r.features, plan: 7 } }));
    const plan = feature(evaluate(windowOf(current), baseline), "plan");
    expectWellFormed(plan);
    expect(plan.missingRateDrift).toBe(true);
  });

  it("a feature only in the window is not compared (it has no reference) and breaks nothing", () => {
    const baseline = baselineOf(rows(91, 500));
    const current = rows(92, 200).map((r) => ({ ...r, features: { ...r.features, brandNew: 1 } }));
    const report = evaluate(windowOf(current), baseline);
    expect(report.features.map((f) => f.feature).sort()).toEqual(["age", "plan", "x", "y"]);
    expect(report.status).toBe(ReportStatus.REPORT_STATUS_NO_DRIFT);
  });

  it("a high-cardinality category (more than the 200 tracked) does not drift on the same distribution", () => {
    // 80 % over 5 merchants, 20 % over 5000 rare ids: the baseline can track only 200 categories,
    // the rest of its mass is "__other__", and so must be the window's untracked ids.
    const merchants = (seed: number, n: number) => {
      const random = rng(seed);
      return Array.from({ length: n }, () => ({
        features: {
          merchant: random() < 0.8 ? `m${Math.floor(random() * 5)}` : `id${Math.floor(random() * 5000)}`,
        },
      }));
    };
    const baseline = baselineOf(merchants(95, 20_000));
    for (const seed of [96, 97, 98]) {
      const merchant = feature(evaluate(windowOf(merchants(seed, 2000)), baseline), "merchant");
      expect(merchant.test).toBe("jensenshannon");
      expectWellFormed(merchant);
      expect(merchant.drifted).toBe(false);
      expect(merchant.psi).toBeLessThan(0.1);
    }
    // and a real shift among the tracked merchants is still seen
    const shifted = merchants(99, 2000).map((r, i) => (i % 3 === 0 ? { features: { merchant: "m0" } } : r));
    expect(feature(evaluate(windowOf(shifted), baseline), "merchant").drifted).toBe(true);
  });
});

describe("golden", () => {
  it("the same seeded windows give byte-identical reports, open or packed (a speed-up must not change a report)", async () => {
    const baseline = baselineOf(rows(1, 5_000), { categorical: ["plan"], pca: 2 });
    const model = baseline.profile.pca;
    const pca: PcaContext | undefined = model ? { model, baselineVersion: 1 } : undefined;
    const windows: [string, Row[]][] = [
      ["same", rows(2, 2_000)],
      ["x shifted 0.5 sd", rows(3, 2_000, { xShift: 0.5 })],
      [
        "plan mix changed, y missing",
        rows(4, 2_000, {
          plan: [
            ["basic", 0.2],
            ["premium", 0.3],
            ["gold", 0.5],
          ],
          yMissing: 0.2,
        }),
      ],
      ["predictions and confidence shifted", rows(5, 2_000, { positiveShare: 0.6, confidence: [0.5, 0.7] })],
    ];
    const reports = windows.map(([name, current]) => {
      const hash: Record<string, string> = {};
      const events = current.map(toEvent);
      for (let i = 0; i < events.length; i += 97) {
        for (const delta of accumulateEvents(
          events.slice(i, i + 97),
          () => windowMs,
          () => pca,
        ).values())
          addToHash(hash, delta);
      }
      const { set, remove } = compactWindow(hash);
      const packed = { ...hash, ...set };
      for (const field of remove) delete packed[field];
      const open = JSON.stringify(DriftReport.toJSON(evaluate(parseWindowState(hash), baseline)));
      expect(JSON.stringify(DriftReport.toJSON(evaluate(parseWindowState(packed), baseline)))).toBe(open);
      return `${name}: ${open}`;
    });
    await expect(`${reports.join("\n")}\n`).toMatchFileSnapshot("./golden/drift-reports.txt");
  });
});
