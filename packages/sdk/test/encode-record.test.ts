import { randomBytes } from "node:crypto";
import { InferenceEvent } from "@argus/proto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CheckedFeatures, encodeRecord } from "../src/encode-record.js";
import { toInferenceEvent } from "../src/event.js";
import { createPseudonymizer } from "../src/pseudonymize.js";
import type { FeatureInput, OutputInput, RecordInput } from "../src/record-input.js";

const ctx = {
  modelId: "fraud-scorer",
  modelVersion: "3.1.0",
  tenant: "acme",
  pseudonymizer: createPseudonymizer({ keys: { k1: randomBytes(32) }, activeKeyId: "k1" }),
  piiFeatures: new Set(["email", "note"]),
};
const now = new Date("2030-01-02T03:04:05.678Z");
const eventContext = { ...ctx, now: () => now };

/** A small deterministic generator (the SDK's tests run without fast-check). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
}

function randomInput(next: () => number, i: number): RecordInput {
  const pick = <T>(options: T[]): T => options[Math.floor(next() * options.length)] as T;
  const features: Record<string, FeatureInput> = {};
  const count = Math.floor(next() * 12);
  for (let f = 0; f < count; f++) {
    const name = pick(["amount", "country", "email", "note", "emb", `n${f}`, "é名", "x".repeat(70)]);
    features[name] = pick<FeatureInput>([
      next() * 1e6 - 5e5,
      0,
      -0,
      pick(["FR", "", "日本", "a".repeat(200)]),
      { text: pick(["hello", "", "ünïcode ".repeat(30)]) },
      [next(), -1, 3.5],
      Float32Array.of(next(), 2),
      Float64Array.of(1e-3, next()),
    ]);
  }
  const output = pick<OutputInput>([
    { label: pick(["yes", "no", ""]), scores: { yes: next(), no: 0 } },
    { label: "only" },
    { regression: next() * 100 - 50 },
    { generatedText: pick(["a poem", "", "ü".repeat(300)]) },
  ]);
  return {
    clientId: pick(["alice@example.com", `client-${i}`, "ünicode-client"]),
    eventId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    eventTime: pick([now, new Date(-1_234_567), new Date(0), new Date(8.64e15)]),
    ...(next() < 0.5 ? { requestId: pick(["req-1", "", "ré"]) } : {}),
    features,
    output,
    ...(next() < 0.7 ? { latencyMs: pick([0, 5, next() * 100]) } : {}),
    ...(next() < 0.5 ? { inputTokens: pick([0, 7, 0xffff_ffff]) } : {}),
    ...(next() < 0.5 ? { outputTokens: pick([0, 300]) } : {}),
  };
}

/** The event's bytes as the SDK has always made them, or the error it threw. */
function reference(input: RecordInput): unknown {
  try {
    return Buffer.from(InferenceEvent.encode(toInferenceEvent(input, eventContext)).finish());
  } catch (error) {
    return error;
  }
}

function direct(input: RecordInput, checked = new CheckedFeatures()): unknown {
  try {
    return Buffer.from(encodeRecord(input, ctx, checked).value);
  } catch (error) {
    return error;
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe("encodeRecord", () => {
  it("writes the bytes of the event toInferenceEvent builds, or throws its error, for any input", () => {
    const next = random(42);
    const checked = new CheckedFeatures();
    let valid = 0;
    for (let i = 0; i < 3_000; i++) {
      const input = randomInput(next, i);
      const expected = reference(input);
      if (expected instanceof Buffer) valid += 1;
      expect(direct(input, checked)).toEqual(expected);
    }
    // Some random events are invalid (a number for a PII feature...), most are not.
    expect(valid).toBeGreaterThan(1_000);
  });

  it("rejects an invalid input with the same error as toInferenceEvent, even after valid ones", () => {
    const checked = new CheckedFeatures();
    const valid = randomInput(random(7), 1);
    const invalidInputs: unknown[] = [
      null,
      { ...valid, clientId: "" },
      { ...valid, eventId: "42" },
      { ...valid, eventId: Number.NaN },
      { ...valid, eventTime: new Date(Number.NaN) },
      { ...valid, eventTime: "yesterday" },
      { ...valid, requestId: 7 },
      { ...valid, features: [1, 2] },
      { ...valid, features: { "": 1 } },
      { ...valid, features: { a: 1, x: Number.NaN, y: true } },
      { ...valid, features: { e: [1, 1e300] } },
      { ...valid, features: { e: [] } },
      { ...valid, features: { email: 3 } },
      { ...valid, features: { note: { text: "" } } },
      { ...valid, latencyMs: -1 },
      { ...valid, latencyMs: Number.POSITIVE_INFINITY },
      { ...valid, output: { label: "a", regression: 1 } },
      { ...valid, output: {} },
      { ...valid, output: { label: "a", scores: { a: Number.NaN } } },
      { ...valid, output: { regression: "1" } },
      { ...valid, inputTokens: -1 },
      { ...valid, outputTokens: 1.5 },
    ];
    for (const input of invalidInputs) {
      direct(valid, checked);
      const expected = reference(input as RecordInput);
      expect(expected).toMatchObject({ code: "INVALID_EVENT" });
      expect(direct(input as RecordInput, checked)).toEqual(expected);
    }
  });

  it("stamps an event without eventTime (or with null) with the current time, like toInferenceEvent", () => {
    vi.useFakeTimers();
    vi.setSystemTime(now);
    const input = randomInput(random(3), 2);
    for (const eventTime of [undefined, null]) {
      const stamped = { ...input, eventTime: eventTime as unknown as Date };
      expect(direct(stamped)).toEqual(reference({ ...input, eventTime: now }));
    }
  });

  it("leaves out a feature named __proto__, as events built by toInferenceEvent always have", () => {
    const input = { ...randomInput(random(5), 3), features: JSON.parse('{"a":1,"__proto__":2,"b":"x"}') };
    const bytes = direct(input);
    expect(bytes).toEqual(reference(input));
    expect(Object.keys(InferenceEvent.decode(bytes as Buffer).features)).toEqual(["a", "b"]);
  });
});
