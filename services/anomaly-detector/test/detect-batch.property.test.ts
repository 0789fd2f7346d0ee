// Property: whatever valid events arrive, in whatever order and mix of models and clients, the batch
// planner handles every one of them and never throws out of the loop (the consumer that stopped for
// good in the evaluation did so on an ordinary mix: one client, two models of different widths).
import { type FeatureValue, InferenceEvent } from "@argus/proto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PartitionedDetector, testPolicies } from "./detect-sim.js";

const T0 = Date.parse("2026-03-02T08:00:00Z");

type Shape = "numeric5" | "numeric30" | "numeric64" | "categorical" | "text" | "embedding";
const SHAPES: Shape[] = ["numeric5", "numeric30", "numeric64", "categorical", "text", "embedding"];
const CLIENTS = ["", "client-a", "client-b", "client-c", "client-d"];

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const words = fc.array(
  fc.constantFrom("refund", "order", "ignore", "previous", "SELECT", "hello", "é", "🙂", "\u200b"),
  {
    maxLength: 30,
  },
);

function features(
  shape: Shape,
  values: number[],
  text: string,
  category: string,
): Record<string, FeatureValue> {
  const numeric = (count: number) =>
    Object.fromEntries(
      Array.from({ length: count }, (_, i) => [
        `x${i}`,
        { kind: { $case: "number" as const, value: values[i % values.length] ?? 0 } },
      ]),
    );
  switch (shape) {
    case "numeric5":
      return numeric(5);
    case "numeric30":
      return numeric(30);
    case "numeric64":
      return numeric(64);
    case "categorical":
      return { ...numeric(3), plan: { kind: { $case: "category", value: category } } };
    case "text":
      return { prompt: { kind: { $case: "text", value: text } } };
    case "embedding":
      return { vector: { kind: { $case: "embedding", value: { values: values.slice(0, 16) } } } };
  }
}

const eventArbitrary = fc.record({
  shape: fc.constantFrom(...SHAPES),
  client: fc.constantFrom(...CLIENTS),
  tenant: fc.constantFrom("acme", "acme", "acme", "globex"),
  gapMs: fc.integer({ min: -5_000, max: 60_000 }),
  values: fc.array(finite, { minLength: 1, maxLength: 8 }),
  text: words.map((w) => w.join(" ")),
  category: fc.constantFrom("basic", "pro", "enterprise", "x".repeat(300)),
  output: fc.constantFrom("classification", "regression", "text", "none"),
  labels: fc.integer({ min: 1, max: 200 }),
  latencyMs: fc.double({ min: 0, max: 1e5, noNaN: true }),
  outputTokens: fc.integer({ min: 0, max: 100_000 }),
});

type Spec = typeof eventArbitrary extends fc.Arbitrary<infer T> ? T : never;

function toEvents(specs: Spec[]): InferenceEvent[] {
  let atMs = T0;
  return specs.map((spec, i) => {
    atMs = Math.max(T0, atMs + spec.gapMs);
    const label = `class_${i % spec.labels}`;
    const output =
      spec.output === "classification"
        ? {
            kind: {
              $case: "classification" as const,
              value: {
                label,
                scores: Object.fromEntries(
                  Array.from({ length: spec.labels }, (_, k) => [`class_${k}`, 1 / spec.labels]),
                ),
              },
            },
          }
        : spec.output === "regression"
          ? { kind: { $case: "regression" as const, value: spec.values[0] ?? 0 } }
          : spec.output === "text"
            ? { kind: { $case: "generatedText" as const, value: spec.text } }
            : undefined;
    return InferenceEvent.fromPartial({
      eventId: `e-${i}`,
      modelId: spec.shape,
      modelVersion: "1",
      requestId: `r-${i}`,
      clientId: spec.client,
      tenant: spec.tenant,
      eventTime: new Date(atMs),
      features: features(spec.shape, spec.values, spec.text, spec.category),
      ...(output ? { output } : {}),
      latencyMs: spec.latencyMs,
      outputTokens: spec.outputTokens,
    });
  });
}

describe("detectBatch on any valid stream", () => {
  it("handles every event of random streams (5/30/64 features, categorical, text, embeddings, shared clients) without a failure", () => {
    const policies = testPolicies({
      profile: {
        warmupEvents: 20,
        calibrationEvents: 20,
        falsePositiveRate: 0.01,
        oodQuantile: 0.99,
        maxCategories: 50,
      },
      resources: { warmup: 20, zThreshold: 6, minRatio: 3, tailQuantile: 0.999 },
    });
    fc.assert(
      fc.property(
        fc.array(eventArbitrary, { minLength: 1, maxLength: 300, size: "max" }),
        fc.constantFrom(1, 3, 12),
        fc.integer({ min: 4, max: 64 }),
        (specs, partitions, batchSize) => {
          const events = toEvents(specs);
          const detector = new PartitionedDetector(partitions, policies, batchSize);
          detector.run(events);
          expect(detector.failures).toEqual([]);
          expect(detector.processed).toBe(events.length);
          // Every event of a client counted once on its model: nothing dropped, nothing twice.
          const counted = new Map<string, number>();
          for (const clients of detector.clients)
            for (const [key, state] of clients)
              for (const [model, modelState] of Object.entries(state.models))
                counted.set(`${key}\u0000${model}`, modelState.queries);
          const expected = new Map<string, number>();
          for (const event of events) {
            if (!event.clientId) continue;
            const key = `${event.tenant}\u0000${event.clientId}\u0000${event.modelId}`;
            expected.set(key, (expected.get(key) ?? 0) + 1);
          }
          expect(counted).toEqual(expected);
        },
      ),
      { numRuns: 25, seed: 20261207, endOnFailure: true },
    );
  }, 180_000);
});
