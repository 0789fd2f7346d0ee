import { readFileSync } from "node:fs";
import {
  applyPlan,
  type BatchState,
  DEFAULT_POPULATION_POLICY,
  DEFAULT_RELATIVE_RATE_POLICY,
  type DetectPolicies,
  detectBatch,
  detectInputViolations,
  parseInputSchemas,
  scanInput,
  scanOutput,
} from "@argus/anomaly-detector/domain";
import { InferenceEvent } from "@argus/proto";
import { normalDraw, seededUniform } from "@argus/stats";
import { say } from "./progress.js";

const schemaFile = new URL("../../../services/anomaly-detector/config/models.example.yaml", import.meta.url);

/** Microseconds per event of each anomaly detector on one core (median of repeated runs). */
export function benchAnomalyKernels() {
  say("kernels: anomaly detectors, cost per event…");
  const random = seededUniform(12);
  const events = Array.from({ length: 20_000 }, (_, i) => {
    const age = Math.round(normalDraw(random, 45, 10));
    return InferenceEvent.fromPartial({
      eventId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      modelId: "credit-risk",
      clientId: `c-${i % 100}`,
      tenant: "bench",
      eventTime: new Date(1_700_000_000_000 + i * 100),
      features: {
        age: { kind: { $case: "number", value: age } },
        income: { kind: { $case: "number", value: age * 1200 + normalDraw(random, 0, 6000) } },
        debt_ratio: { kind: { $case: "number", value: random() * 2 } },
        employment: { kind: { $case: "category", value: "employed" } },
      },
      output: {
        kind: {
          $case: "classification",
          value: { label: random() < 0.5 ? "a" : "b", scores: { a: 0.6, b: 0.4 } },
        },
      },
      latencyMs: 20,
    });
  });
  const perEvent = (work: () => void) => {
    const started = performance.now();
    work();
    return Math.round(((performance.now() - started) * 1000 * 100) / events.length) / 100;
  };
  const schemas = parseInputSchemas(readFileSync(schemaFile, "utf8"), "models.example.yaml");
  const policies: DetectPolicies = {
    schemas,
    client: {
      rate: DEFAULT_RELATIVE_RATE_POLICY,
      risk: { halfLifeMs: 3_600_000, maxReasons: 8, weights: {}, defaultWeight: 0.2 },
      resourceOutliersToAlarm: 3,
      realertMs: 600_000,
    },
    profile: {
      warmupEvents: 5_000,
      calibrationEvents: 5_000,
      falsePositiveRate: 0.001,
      oodQuantile: 0.99,
      maxCategories: 50,
    },
    resources: { warmup: 200, zThreshold: 6, minRatio: 3, tailQuantile: 0.999 },
    population: DEFAULT_POPULATION_POLICY,
    fingerprintSalt: "bench-salt-0123456789",
    confidentScore: 0.9,
  };
  // The first half fits and calibrates the model's profile; the second half is measured, in
  // batches of 1,000 as the consumer hands them over (state carried from batch to batch).
  let state: BatchState = { models: new Map(), clients: new Map() };
  const runBatches = (slice: typeof events) => {
    for (let start = 0; start < slice.length; start += 1_000) {
      state = applyPlan(state, detectBatch(state, slice.slice(start, start + 1_000), policies, 0));
    }
  };
  runBatches(events.slice(0, 10_000));
  const prompt =
    "Hi, I ordered a blender last week and it arrived with a cracked jar. Could you tell me how to get a replacement or a refund? My order number is in the confirmation email.";
  // Text scanning grows with the text: µs per KB at a short prompt and at a long (8 KB) one.
  const long = `${prompt} `.repeat(Math.ceil(8_192 / (prompt.length + 1))).slice(0, 8_192);
  const usPerKb = (scan: (text: string) => unknown, text: string, runs: number) => {
    const started = performance.now();
    for (let i = 0; i < runs; i++) scan(text);
    const us = ((performance.now() - started) * 1000) / runs;
    return Math.round((us * 1024) / Buffer.byteLength(text, "utf8"));
  };
  return {
    inputValidationUs: perEvent(() => {
      for (const event of events) detectInputViolations(schemas, event, event.eventTime as Date);
    }),
    /** Every tabular detector of the batch planner (profile, outliers, resources, rate, query detectors, risk). */
    detectBatchUs: perEvent(() => runBatches(events.slice(10_000))) * 2,
    textInputScanUs: perEvent(() => {
      for (let i = 0; i < events.length; i++) scanInput(prompt);
    }),
    textOutputScanUs: perEvent(() => {
      for (let i = 0; i < events.length; i++) scanOutput(prompt);
    }),
    textInputUsPerKb: {
      short: usPerKb(scanInput, prompt, 2_000),
      long8k: usPerKb(scanInput, long, 100),
    },
    textOutputUsPerKb: {
      short: usPerKb(scanOutput, prompt, 2_000),
      long8k: usPerKb(scanOutput, long, 100),
    },
  };
}
