import { InferenceEvent } from "@argus/proto";
import { describe, expect, it } from "vitest";
import {
  MAX_OBSERVED_CATEGORY_CHARS,
  MAX_UNKNOWN_FEATURES_REPORTED,
  parseInputSchemas,
  type Violation,
  validateInput,
} from "../src/domain/index.js";
import { cat, creditRisk, emb, event, num, text, unset, validFeatures, withFeatures } from "./fixtures.js";

const schema = creditRisk();
const check = (changes: Parameters<typeof withFeatures>[0]): Violation[] =>
  validateInput(schema, event(withFeatures(changes)));

const embeddingSchema = parseInputSchemas(
  "models:\n  ranker:\n    features:\n      query_vec: {type: embedding, dimensions: 4}\n",
  "ranker.yaml",
).models.get("ranker");
if (!embeddingSchema) throw new Error("ranker schema missing");

describe("validateInput: valid events", () => {
  it("finds nothing in a valid event", () => {
    expect(validateInput(schema, event(validFeatures()))).toEqual([]);
  });

  it("accepts the optional text when present and within its limit, and when absent or unset", () => {
    expect(check({ notes: text("stable income, no defaults") })).toEqual([]);
    expect(check({ notes: unset() })).toEqual([]);
  });

  it("accepts values exactly on the bounds", () => {
    expect(check({ age: num(18), debt_ratio: num(5), income: num(0) })).toEqual([]);
    expect(check({ age: num(120), debt_ratio: num(0) })).toEqual([]);
  });

  it("counts text length in characters, not UTF-16 units", () => {
    // 500 emoji are 1000 UTF-16 units but 500 characters: within maxLength 500.
    expect(check({ notes: text("😀".repeat(500)) })).toEqual([]);
    expect(check({ notes: text("😀".repeat(501)) }).map((v) => v.rule)).toEqual(["too_long"]);
  });

  it("accepts a valid embedding", () => {
    expect(validateInput(embeddingSchema, event({ query_vec: emb([0.1, -0.2, 0.3, 0]) }))).toEqual([]);
  });
});

describe("validateInput: each rule is reported with the feature name", () => {
  it("missing: a required feature is absent", () => {
    expect(check({ income: undefined })).toEqual([
      { feature: "income", rule: "missing", detail: "missing (required)" },
    ]);
  });

  it("missing: a feature value with no kind set counts as absent", () => {
    expect(check({ employment: unset() })).toEqual([
      { feature: "employment", rule: "missing", detail: "missing (required)" },
    ]);
  });

  it("type: a number sent as a category", () => {
    expect(check({ age: cat("42") })).toEqual([
      { feature: "age", rule: "type", detail: "wrong type (expected number, got category)" },
    ]);
  });

  it("type: text sent where an embedding is declared", () => {
    const [violation] = validateInput(embeddingSchema, event({ query_vec: text("hello") }));
    expect(violation?.rule).toBe("type");
    expect(violation?.detail).toBe("wrong type (expected embedding, got text)");
  });

  it("below_min and above_max report the observed value and the bound", () => {
    expect(check({ age: num(17) })).toEqual([
      { feature: "age", rule: "below_min", detail: "below min (observed 17 < 18)", observed: "17" },
    ]);
    expect(check({ age: num(212) })).toEqual([
      { feature: "age", rule: "above_max", detail: "above max (observed 212 > 120)", observed: "212" },
    ]);
    expect(check({ income: num(-1) }).map((v) => [v.feature, v.rule])).toEqual([["income", "below_min"]]);
    expect(check({ debt_ratio: num(5.01) }).map((v) => [v.feature, v.rule])).toEqual([
      ["debt_ratio", "above_max"],
    ]);
  });

  it.each([
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "Infinity"],
    [Number.NEGATIVE_INFINITY, "-Infinity"],
  ])("not_finite: %s is caught even where no bound is declared", (value, shown) => {
    // income has no max, so only the finiteness check can catch +Infinity.
    expect(check({ income: num(value) })).toEqual([
      { feature: "income", rule: "not_finite", detail: `not finite (observed ${shown})`, observed: shown },
    ]);
  });

  it("not_finite: NaN survives the protobuf wire and is still caught", () => {
    const decoded = InferenceEvent.decode(
      InferenceEvent.encode(event(withFeatures({ age: num(Number.NaN) }))).finish(),
    );
    expect(validateInput(schema, decoded).map((v) => [v.feature, v.rule])).toEqual([["age", "not_finite"]]);
  });

  it("unknown_category reports the value", () => {
    expect(check({ employment: cat("contractor") })).toEqual([
      {
        feature: "employment",
        rule: "unknown_category",
        detail: 'unknown category (observed "contractor", not one of 4 allowed values)',
        observed: "contractor",
      },
    ]);
  });

  it("unknown_category is case sensitive", () => {
    expect(check({ employment: cat("Employed") }).map((v) => v.rule)).toEqual(["unknown_category"]);
  });

  it("too_long reports the length", () => {
    expect(check({ notes: text("x".repeat(501)) })).toEqual([
      {
        feature: "notes",
        rule: "too_long",
        detail: "too long (observed length 501 > 500)",
        observed: "length 501",
      },
    ]);
  });

  it("dimension: an embedding of the wrong length", () => {
    expect(validateInput(embeddingSchema, event({ query_vec: emb([1, 2, 3]) }))).toEqual([
      {
        feature: "query_vec",
        rule: "dimension",
        detail: "wrong dimension (observed 3, expected 4)",
        observed: "3 dimensions",
      },
    ]);
  });

  it("not_finite: NaN or Infinity inside an embedding", () => {
    const violations = validateInput(
      embeddingSchema,
      event({ query_vec: emb([0, Number.NaN, 1, Number.POSITIVE_INFINITY]) }),
    );
    expect(violations).toEqual([
      {
        feature: "query_vec",
        rule: "not_finite",
        detail: "not finite (2 of 4 values are NaN or infinite, first at index 1: NaN)",
        observed: "2 non-finite values",
      },
    ]);
  });

  it("reports both rules when an embedding has the wrong length and a NaN", () => {
    const violations = validateInput(embeddingSchema, event({ query_vec: emb([Number.NaN, 1]) }));
    expect(violations.map((v) => [v.feature, v.rule])).toEqual([
      ["query_vec", "dimension"],
      ["query_vec", "not_finite"],
    ]);
  });

  it("unknown_feature: a feature the schema does not declare", () => {
    expect(check({ zip_code: cat("10115") })).toEqual([
      { feature: "zip_code", rule: "unknown_feature", detail: "not declared in the schema" },
    ]);
  });

  it("allows undeclared features when the model says so", () => {
    const open = parseInputSchemas(
      "models:\n  m:\n    features: {x: {type: number}}\n    allowUnknownFeatures: true\n",
      "open.yaml",
    ).models.get("m");
    if (!open) throw new Error("schema missing");
    expect(validateInput(open, event({ x: num(1), extra: text("whatever") }))).toEqual([]);
  });

  it("reports several broken features, declared ones in schema order then undeclared ones by name", () => {
    const features = {
      ...validFeatures(),
      zeta: num(1),
      employment: cat("pirate"),
      alpha: num(2),
      age: num(5),
    };
    expect(validateInput(schema, event(features)).map((v) => [v.feature, v.rule])).toEqual([
      ["age", "below_min"],
      ["employment", "unknown_category"],
      ["alpha", "unknown_feature"],
      ["zeta", "unknown_feature"],
    ]);
  });
});

describe("validateInput: privacy and bounds", () => {
  it("never copies text input into a violation, only its length", () => {
    const secret = "Jane Doe, SSN 078-05-1120, lives at 12 Elm St. ";
    const violations = check({ notes: text(secret.repeat(20)) });
    expect(violations.map((v) => v.rule)).toEqual(["too_long"]);
    const serialized = JSON.stringify(violations);
    expect(serialized).not.toContain("078-05-1120");
    expect(serialized).not.toContain("Jane");
  });

  it("does not copy text sent to a numeric feature either", () => {
    const serialized = JSON.stringify(check({ age: text("Jane Doe 078-05-1120") }));
    expect(serialized).toContain("wrong type");
    expect(serialized).not.toContain("078-05-1120");
  });

  it("cuts an unknown category to 64 characters", () => {
    const [violation] = check({ employment: cat(`${"a".repeat(100)}SECRET-TAIL`) });
    expect(violation?.rule).toBe("unknown_category");
    expect(Array.from(violation?.observed ?? "")).toHaveLength(MAX_OBSERVED_CATEGORY_CHARS);
    expect(violation?.observed?.endsWith("…")).toBe(true);
    expect(violation?.detail).not.toContain("SECRET-TAIL");
  });

  it("keeps a 64-character category whole and does not split characters when cutting", () => {
    const exact = "b".repeat(64);
    expect(check({ employment: cat(exact) })[0]?.observed).toBe(exact);
    const emoji = "😀".repeat(100);
    const observed = check({ employment: cat(emoji) })[0]?.observed ?? "";
    expect(observed).toBe(`${"😀".repeat(63)}…`);
  });

  it("replaces control characters in reported categories", () => {
    const observed = check({ employment: cat("evil\nX-Injected: 1") })[0]?.observed;
    expect(observed).toBe("evil\uFFFDX-Injected: 1");
  });

  it(`reports at most ${MAX_UNKNOWN_FEATURES_REPORTED} undeclared features, the first by name`, () => {
    const junk = Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [`junk_${String(i).padStart(3, "0")}`, num(i)]),
    );
    const violations = validateInput(schema, event({ ...validFeatures(), ...junk }));
    expect(violations).toHaveLength(MAX_UNKNOWN_FEATURES_REPORTED);
    expect(violations[0]?.feature).toBe("junk_000");
    expect(violations.at(-1)?.feature).toBe("junk_009");
    expect(violations[0]?.detail).toContain("500 undeclared features");
  });

  it("cuts very long undeclared feature names", () => {
    const [violation] = check({ ["n".repeat(10_000)]: num(1) });
    expect(violation?.rule).toBe("unknown_feature");
    expect(Array.from(violation?.feature ?? "").length).toBeLessThanOrEqual(128);
  });
});
