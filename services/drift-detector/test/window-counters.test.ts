import { type FeatureValue, InferenceEvent, type ModelOutput } from "@argus/proto";
import { normalDraw as normal, seededUniform as rng } from "@argus/stats";
import { describe, expect, it } from "vitest";
import { BaselineBuilder } from "../src/domain/baseline-profile.js";
import { Distribution } from "../src/domain/distribution.js";
import { reconstructionError } from "../src/domain/pca.js";
import {
  bucketOf,
  categoryField,
  deltaFields,
  featureField,
  type PcaContext,
  type WindowDelta,
} from "../src/domain/window-counters.js";
import { observedCount, observedDistribution, parseWindowState } from "../src/domain/window-state.js";
import { accumulateEvents } from "./accumulate-events.js";

// ---- helpers (self-contained: every test file here is standalone) ----

/** mulberry32: a small seeded generator, so every run sees the same data. */

type Cell = number | string | { text: string } | null;

const T0 = Date.parse("2025-01-01T00:00:00Z");
const windowMs = 300_000;

function event(
  features: Record<string, Cell>,
  options: { time?: number; model?: string; output?: ModelOutput["kind"] } = {},
): InferenceEvent {
  const values: Record<string, FeatureValue> = {};
  for (const [name, cell] of Object.entries(features)) {
    if (cell === null) values[name] = { kind: undefined };
    else if (typeof cell === "number") values[name] = { kind: { $case: "number", value: cell } };
    else if (typeof cell === "string") values[name] = { kind: { $case: "category", value: cell } };
    else values[name] = { kind: { $case: "text", value: cell.text } };
  }
  return InferenceEvent.fromPartial({
    eventId: "00000000-0000-4000-8000-000000000000",
    modelId: options.model ?? "credit",
    tenant: "acme",
    eventTime: new Date(options.time ?? T0 + 1_000),
    features: values,
    ...(options.output ? { output: { kind: options.output } } : {}),
  });
}

const classification = (label: string, scores: Record<string, number>): ModelOutput["kind"] => ({
  $case: "classification",
  value: { label, scores },
});

/** What the window store's script leaves in the Redis hash after applying `deltas` in order. */
function applyToHash(deltas: Iterable<WindowDelta>, hash: Record<string, string> = {}, cap = 200) {
  for (const delta of deltas) {
    for (const [field, count] of deltaFields(delta)) {
      let target = field;
      const category = /^(.*):c:[^:]*$/.exec(field);
      if (category && hash[field] === undefined) {
        const distinct = `${category[1]}:distinct`;
        hash[distinct] = String(Number(hash[distinct] ?? 0) + 1);
        if (Number(hash[distinct]) > cap) target = `${category[1]}:c:__other__`;
      }
      hash[target] = String(Number(hash[target] ?? 0) + count);
    }
    for (const [prefix, [low, high]] of delta.extremes) {
      if (hash[`${prefix}:lo`] === undefined || low < Number(hash[`${prefix}:lo`]))
        hash[`${prefix}:lo`] = String(low);
      if (hash[`${prefix}:hi`] === undefined || high > Number(hash[`${prefix}:hi`]))
        hash[`${prefix}:hi`] = String(high);
    }
    if (delta.pcaBaselineVersion !== undefined) {
      const bv = String(delta.pcaBaselineVersion);
      if (hash["mv:bv"] === undefined) hash["mv:bv"] = bv;
      else if (hash["mv:bv"] !== bv) hash["mv:mixed"] = "1";
    }
  }
  return hash;
}

const fixedWindow = () => windowMs;
const noPca = () => undefined;

function single(deltas: Map<string, WindowDelta>): WindowDelta {
  expect(deltas.size).toBe(1);
  return [...deltas.values()][0] as WindowDelta;
}

/** Adds window deltas field by field (what many replicas HINCRBY-ing into one hash amounts to). */
function addDeltas(parts: WindowDelta[]): {
  counters: Map<string, number>;
  extremes: Map<string, [number, number]>;
} {
  const counters = new Map<string, number>();
  const extremes = new Map<string, [number, number]>();
  for (const part of parts) {
    for (const [field, count] of deltaFields(part)) counters.set(field, (counters.get(field) ?? 0) + count);
    for (const [prefix, [low, high]] of part.extremes) {
      const current = extremes.get(prefix);
      extremes.set(prefix, current ? [Math.min(current[0], low), Math.max(current[1], high)] : [low, high]);
    }
  }
  return { counters, extremes };
}

const sorted = <T>(map: Map<string, T>) => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

// ---- tests ----

describe("window counters → Redis hash → parseWindowState", () => {
  const random = rng(7);
  const ages: (number | null)[] = [];
  const events: InferenceEvent[] = [];
  const plans = ["basic", "premium", "basic", "gold", "basic"];
  for (let i = 0; i < 200; i++) {
    const age = i % 10 === 3 ? null : Math.round(normal(random, 40, 12) * 10) / 10;
    ages.push(age);
    const features: Record<string, Cell> = {
      plan: plans[i % plans.length] as string,
      comment: { text: "é".repeat(1 + (i % 40)) },
    };
    if (age !== null) features.age = age;
    if (i % 4 === 0) features.income = normal(random, 50_000, 10_000);
    const p = 0.5 + 0.5 * random();
    events.push(event(features, { output: classification(p > 0.75 ? "yes" : "no", { yes: p, no: 1 - p }) }));
  }
  const delta = single(accumulateEvents(events, fixedWindow, noPca));
  const state = parseWindowState(applyToHash([delta]));

  it("counts the events and the window start", () => {
    expect(delta.windowStart).toBe(T0);
    expect(delta.modelId).toBe("credit");
    expect(delta.tenant).toBe("acme");
    expect(state.events).toBe(200);
    expect(state.late).toBe(0);
  });

  it("numbers: present count, missing = events − present, exact extremes", () => {
    const present = ages.filter((age) => age !== null) as number[];
    const age = state.features.get("age");
    expect(age).toBeDefined();
    expect(observedCount(age as never)).toBe(present.length);
    expect(state.events - observedCount(age as never)).toBe(20);
    expect(delta.extremes.get(featureField("age"))).toEqual([Math.min(...present), Math.max(...present)]);
    const income = state.features.get("income");
    expect(observedCount(income as never)).toBe(50);
  });

  it("numbers: the bucketed distribution has every quantile within 1 % of the exact one", () => {
    const present = (ages.filter((age) => age !== null) as number[]).sort((a, b) => a - b);
    const exact = Distribution.fromExact(present);
    const bucketed = observedDistribution(state.features.get("age") as never);
    expect(bucketed.total).toBe(present.length);
    for (let q = 0; q <= 1; q += 0.05) {
      const truth = exact.quantile(q);
      expect(Math.abs(bucketed.quantile(q) - truth)).toBeLessThanOrEqual(0.01 * Math.abs(truth) + 1e-12);
    }
  });

  it("categories: exact counts", () => {
    const plan = state.features.get("plan");
    expect(plan?.buckets.size).toBe(0);
    expect(Object.fromEntries(plan?.categories ?? [])).toEqual({ basic: 120, premium: 40, gold: 40 });
  });

  it("text: never kept, its length in code points becomes the numeric feature <name>.length", () => {
    expect(state.features.has("comment")).toBe(false);
    const lengths = observedDistribution(state.features.get("comment.length") as never);
    expect(lengths.total).toBe(200);
    // "é" is one code point (two UTF-16 units): lengths run 1..40, not 2..80.
    expect(delta.extremes.get(featureField("comment.length"))).toEqual([1, 40]);
    expect(Math.abs(lengths.quantile(1) - 40)).toBeLessThanOrEqual(0.4);
    expect(JSON.stringify(applyToHash([delta]))).not.toContain("é");
  });

  it("classification output: predicted labels as categories, the highest score as the confidence sketch", () => {
    const labels = Object.fromEntries(state.prediction.categories);
    expect((labels.yes ?? 0) + (labels.no ?? 0)).toBe(200);
    expect(labels.yes).toBeGreaterThan(50);
    const confidence = observedDistribution(state.confidence);
    expect(confidence.total).toBe(200);
    // the highest score is at least 0.5 (two classes), at most 1; the sketch keeps that within 1 %
    expect(confidence.quantile(0)).toBeGreaterThanOrEqual(0.5 * 0.99);
    expect(confidence.quantile(1)).toBeLessThanOrEqual(1.01);
    expect(state.prediction.buckets.size).toBe(0);
  });

  it("regression output: the predicted value's distribution", () => {
    const values = [1.5, -2, 0, 10, 10, 250];
    const regression = values.map((value) => event({}, { output: { $case: "regression", value } }));
    regression.push(event({}, { output: { $case: "regression", value: Number.NaN } }));
    const parsed = parseWindowState(applyToHash(accumulateEvents(regression, fixedWindow, noPca).values()));
    const prediction = observedDistribution(parsed.prediction);
    expect(prediction.total).toBe(6); // NaN is not a prediction
    const exact = [...values].sort((a, b) => a - b);
    exact.forEach((value, i) => {
      const estimate = prediction.quantile(i / (exact.length - 1));
      expect(Math.abs(estimate - value)).toBeLessThanOrEqual(0.01 * Math.abs(value));
    });
    expect(parsed.confidence.buckets.size).toBe(0);
  });

  it("unset, NaN and infinite values are missing, not counted", () => {
    const odd = [
      event({ x: 1 }),
      event({ x: Number.NaN }),
      event({ x: Number.POSITIVE_INFINITY }),
      event({ x: null }),
      event({}),
    ];
    const parsed = parseWindowState(applyToHash(accumulateEvents(odd, fixedWindow, noPca).values()));
    expect(parsed.events).toBe(5);
    expect(observedCount(parsed.features.get("x") as never)).toBe(1);
  });

  it("names containing ':' (and other separators) survive the field layout", () => {
    const names = [
      event({ "geo:country": "fr:paris", "a:b:c": 3, "100%": "x y", ключ: "значение" }),
      event({ "geo:country": "fr:paris", "a:b:c": -3, "100%": "x y", ключ: "значение" }),
      event(
        { "geo:country": "de:berlin", "a:b:c": 0 },
        { output: classification("lbl:1", { "lbl:1": 0.9 }) },
      ),
    ];
    const delta = single(accumulateEvents(names, fixedWindow, noPca));
    for (const [field] of deltaFields(delta)) {
      const parts = field.split(":");
      expect(parts.length === 1 || parts.length === 2 || parts.length === 3 || parts.length === 4).toBe(true);
    }
    const parsed = parseWindowState(applyToHash([delta]));
    expect([...parsed.features.keys()].sort()).toEqual(["100%", "a:b:c", "geo:country", "ключ"]);
    expect(Object.fromEntries(parsed.features.get("geo:country")?.categories ?? [])).toEqual({
      "fr:paris": 2,
      "de:berlin": 1,
    });
    expect(Object.fromEntries(parsed.features.get("100%")?.categories ?? [])).toEqual({ "x y": 2 });
    expect(observedCount(parsed.features.get("a:b:c") as never)).toBe(3);
    const abc = observedDistribution(parsed.features.get("a:b:c") as never);
    expect([...abc.values].map((v) => Math.sign(v))).toEqual([-1, 0, 1]);
    expect(Object.fromEntries(parsed.prediction.categories)).toEqual({ "lbl:1": 1 });
  });

  it("bookkeeping fields of the store (extremes, distinct counts, closed, late) are not features", () => {
    const hash = applyToHash([delta]);
    hash.closed = "1";
    hash.late = "7";
    const parsed = parseWindowState(hash);
    expect(parsed.late).toBe(7);
    expect([...parsed.features.keys()].sort()).toEqual(["age", "comment.length", "income", "plan"]);
    expect(parsed.features.get("plan")?.categories.has("distinct")).toBe(false);
  });

  it("events of different windows and models go to different deltas", () => {
    const mixed = [
      event({ x: 1 }, { time: T0 }),
      event({ x: 1 }, { time: T0 + windowMs - 1 }),
      event({ x: 1 }, { time: T0 + windowMs }),
      event({ x: 1 }, { time: T0, model: "other" }),
    ];
    const deltas = accumulateEvents(mixed, (model) => (model === "other" ? 60_000 : windowMs), noPca);
    const summary = [...deltas.values()]
      .map((d) => `${d.modelId}@${d.windowStart - T0}:${d.counters.get("n")}`)
      .sort();
    expect(summary).toEqual(["credit@0:2", `credit@${windowMs}:1`, "other@0:1"]);
  });

  it("bucket names: zero is exact, the sign is kept, and the bucket holds the value within 1 %", () => {
    expect(bucketOf(0)).toBe("z");
    expect(bucketOf(2.5).startsWith("p")).toBe(true);
    expect(bucketOf(-2.5).startsWith("n")).toBe(true);
    expect(bucketOf(-2.5).slice(1)).toBe(bucketOf(2.5).slice(1));
    for (const value of [1e-9, 0.003, 1, 7, 123.456, 9e12, -0.5, -42]) {
      const representative = Distribution.fromBuckets([[bucketOf(value), 1]]).quantile(0.5);
      expect(Math.abs(representative - value)).toBeLessThanOrEqual(0.01 * Math.abs(value) * (1 + 1e-12));
    }
    expect(categoryField(featureField("a:b"), "c:d")).toBe("f:a%3Ab:c:c%3Ad");
  });
});

describe("multivariate (PCA) counters", () => {
  const random = rng(11);
  const builder = new BaselineBuilder("credit");
  for (let i = 0; i < 500; i++) {
    const a = normal(random);
    builder.addRow({ features: { a, b: a + 0.1 * normal(random), c: normal(random) } });
  }
  const model = builder.build().pca;
  if (!model) throw new Error("the baseline should have a PCA model");
  const pca: PcaContext = { model, baselineVersion: 4 };

  it("mv:n and mv:sum give the mean reconstruction error of the window's events (1e-6 fixed point)", () => {
    const rows = Array.from({ length: 100 }, () => {
      const a = normal(random);
      return { a, b: -a + 0.1 * normal(random), c: normal(random) };
    });
    const delta = single(
      accumulateEvents(
        rows.map((row) => event(row)),
        fixedWindow,
        () => pca,
      ),
    );
    expect(delta.pcaBaselineVersion).toBe(4);
    const parsed = parseWindowState(applyToHash([delta]));
    const expected = rows.reduce((sum, row) => sum + reconstructionError(model, row), 0) / rows.length;
    expect(parsed.reconstruction?.rows).toBe(100);
    expect(parsed.reconstruction?.baselineVersion).toBe(4);
    expect(parsed.reconstruction?.mixedBaselines).toBe(false);
    expect(Math.abs((parsed.reconstruction?.meanError ?? 0) - expected)).toBeLessThan(1e-6);
  });

  it("a window fed under two baseline versions is flagged mixed", () => {
    const first = accumulateEvents([event({ a: 1, b: 1, c: 0 })], fixedWindow, () => pca);
    const second = accumulateEvents([event({ a: 1, b: 1, c: 0 })], fixedWindow, () => ({
      model,
      baselineVersion: 5,
    }));
    const parsed = parseWindowState(applyToHash([...first.values(), ...second.values()]));
    expect(parsed.reconstruction?.mixedBaselines).toBe(true);
  });

  it("no PCA model, no mv counters", () => {
    const delta = single(accumulateEvents([event({ a: 1, b: 2 })], fixedWindow, noPca));
    expect([...delta.counters.keys()].some((field) => field.startsWith("mv:"))).toBe(false);
    expect(parseWindowState(applyToHash([delta])).reconstruction).toBeUndefined();
  });
});

describe("merge invariance (many replicas add into one window)", () => {
  function stream(seed: number, count: number): InferenceEvent[] {
    const random = rng(seed);
    const colours = ["red", "green", "blue", "x:y", "ünï"];
    return Array.from({ length: count }, (_, i) => {
      const features: Record<string, Cell> = {
        x: normal(random, 3, 2),
        y: random() < 0.1 ? null : normal(random, -100, 30),
        colour: colours[Math.floor(random() * colours.length)] as string,
        note: { text: "n".repeat(Math.floor(random() * 30)) },
      };
      if (random() < 0.05) features.x = 0;
      const p = random();
      return event(features, {
        // two windows, so batches also split windows
        time: T0 + Math.floor(random() * 2 * windowMs),
        output: classification(p > 0.5 ? "a" : "b", { a: p, b: 1 - p }),
        ...(i % 7 === 0 ? { model: "second" } : {}),
      });
    });
  }

  function model3(): PcaContext {
    const builder = new BaselineBuilder("credit");
    const random = rng(5);
    for (let i = 0; i < 200; i++)
      builder.addRow({ features: { x: normal(random, 3, 2), y: normal(random, -100, 30) } });
    return { model: builder.build().pca as never, baselineVersion: 1 };
  }
  const pca = model3();
  const pcaOf = (model: string) => (model === "credit" ? pca : undefined);

  /** Window id → summed counters and extremes, from events applied in the given batches. */
  function applyBatches(batches: InferenceEvent[][]) {
    const byWindow = new Map<string, WindowDelta[]>();
    for (const batch of batches) {
      for (const delta of accumulateEvents(batch, fixedWindow, pcaOf).values()) {
        const id = `${delta.modelId}@${delta.windowStart}`;
        byWindow.set(id, [...(byWindow.get(id) ?? []), delta]);
      }
    }
    return new Map(
      [...byWindow].map(([id, parts]) => {
        const { counters, extremes } = addDeltas(parts);
        return [id, { counters: sorted(counters), extremes: sorted(extremes) }];
      }),
    );
  }

  function randomBatches(events: InferenceEvent[], random: () => number): InferenceEvent[][] {
    const batches: InferenceEvent[][] = [];
    let i = 0;
    while (i < events.length) {
      const size = 1 + Math.floor(random() * 40);
      batches.push(events.slice(i, i + size));
      i += size;
    }
    return batches;
  }

  function shuffled<T>(items: T[], random: () => number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  }

  const events = stream(42, 600);
  const whole = applyBatches([events]);

  it("the stream covers two windows of two models", () => {
    expect([...whole.keys()].sort()).toEqual([
      `credit@${T0}`,
      `credit@${T0 + windowMs}`,
      `second@${T0}`,
      `second@${T0 + windowMs}`,
    ]);
  });

  it.each([1, 2, 3, 4, 5])("arbitrary batch splits (seed %i) give identical counters", (seed) => {
    expect(applyBatches(randomBatches(events, rng(seed)))).toEqual(whole);
  });

  it.each([6, 7, 8])("arbitrary orders and splits (seed %i) give identical counters", (seed) => {
    const random = rng(seed);
    expect(applyBatches(randomBatches(shuffled(events, random), random))).toEqual(whole);
  });

  it("one event per batch (worst case for rounding) still gives identical counters", () => {
    expect(applyBatches(events.map((e) => [e]))).toEqual(whole);
  });

  it("three replicas interleaving their batches into one hash give the same parsed window", () => {
    const random = rng(99);
    const batches = randomBatches(events, random);
    const replicaOrder = shuffled(batches, random);
    const hashOne = applyToHash(
      batches
        .flatMap((batch) => [...accumulateEvents(batch, fixedWindow, pcaOf).values()])
        .filter((d) => d.modelId === "credit" && d.windowStart === T0),
    );
    const hashMany = applyToHash(
      replicaOrder
        .flatMap((batch) => [...accumulateEvents(batch, fixedWindow, pcaOf).values()])
        .filter((d) => d.modelId === "credit" && d.windowStart === T0),
    );
    expect(hashMany).toEqual(hashOne);
    const one = parseWindowState(hashOne);
    const many = parseWindowState(hashMany);
    expect(many).toEqual(one);
    expect(one.reconstruction?.rows).toBe(one.events);
  });

  it("every counter is an integer (Redis HINCRBY accepts nothing else)", () => {
    for (const { counters } of whole.values()) {
      for (const [field, count] of counters) expect(Number.isSafeInteger(count), field).toBe(true);
    }
  });
});
