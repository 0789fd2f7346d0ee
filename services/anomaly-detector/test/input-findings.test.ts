import { createHash } from "node:crypto";
import { type Finding, FindingKind, Severity } from "@argus/proto";
import { describe, expect, it } from "vitest";
import {
  detectInputViolations,
  inputViolationFingerprint,
  parseInputSchemas,
  type Violation,
  validateInput,
  violationsToFindings,
} from "../src/domain/index.js";
import {
  cat,
  creditRisk,
  emb,
  event,
  exampleSchemas,
  num,
  text,
  unset,
  validFeatures,
  withFeatures,
} from "./fixtures.js";

const schema = creditRisk();
const observedAt = new Date("2025-03-04T05:06:07Z");
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

function findingsFor(
  changes: Parameters<typeof withFeatures>[0],
  overrides: Parameters<typeof event>[1] = {},
): Finding[] {
  const e = event(withFeatures(changes), overrides);
  return violationsToFindings(e, validateInput(schema, e), observedAt);
}

describe("violationsToFindings", () => {
  it("turns an out-of-range age into one complete INPUT_VIOLATION warning", () => {
    const e = event(withFeatures({ age: num(212) }), { eventId: "evt-1" });
    const findings = violationsToFindings(e, validateInput(schema, e), observedAt);
    expect(findings).toEqual([
      {
        findingId: sha256("input_violation|evt-1|age|above_max"),
        kind: FindingKind.FINDING_KIND_INPUT_VIOLATION,
        severity: Severity.SEVERITY_WARNING,
        modelId: "credit-risk",
        tenant: "acme",
        subject: { feature: "age", clientId: "client-hmac-abc", source: "" },
        score: 1,
        threshold: 0,
        summary: 'credit-risk: feature "age" above max (observed 212 > 120)',
        evidence: {
          rule: "above_max",
          detail: "above max (observed 212 > 120)",
          observed: "212",
          model_version: "2024-06-01",
          event_id: "evt-1",
        },
        labels: {
          alertname: "InputViolation",
          kind: "input_violation",
          model: "credit-risk",
          feature: "age",
          severity: "warning",
          tenant: "acme",
        },
        fingerprint: sha256("input_violation|acme|credit-risk|age"),
        observedAt,
        detector: "input-validation",
        sampleEventIds: ["evt-1"],
        resolved: false,
      } satisfies Finding,
    ]);
  });

  it("returns nothing for a valid event", () => {
    expect(findingsFor({})).toEqual([]);
  });

  it("makes one finding per violated feature", () => {
    const findings = findingsFor({ age: num(5), employment: cat("pirate"), notes: text("n".repeat(600)) });
    expect(findings.map((f) => f.subject?.feature)).toEqual(["age", "employment", "notes"]);
    expect(findings.map((f) => f.labels.feature)).toEqual(["age", "employment", "notes"]);
  });

  it("merges several rules of one feature into one finding, scored by the number of rules", () => {
    const ranker = parseInputSchemas(
      "models:\n  ranker:\n    features:\n      v: {type: embedding, dimensions: 4}\n",
      "r",
    ).models.get("ranker");
    if (!ranker) throw new Error("schema missing");
    const e = event({ v: emb([Number.NaN, 1]) }, { modelId: "ranker", eventId: "evt-9" });
    const findings = violationsToFindings(e, validateInput(ranker, e), observedAt);
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding?.score).toBe(2);
    expect(finding?.evidence.rule).toBe("dimension,not_finite");
    expect(finding?.findingId).toBe(sha256("input_violation|evt-9|v|dimension,not_finite"));
    expect(finding?.summary).toBe(
      'ranker: feature "v" wrong dimension (observed 2, expected 4); not finite (1 of 2 values are NaN or infinite, first at index 0: NaN)',
    );
  });

  it.each([
    ["a missing required feature", { income: undefined }, Severity.SEVERITY_CRITICAL, "critical"],
    ["an unset required feature", { employment: unset() }, Severity.SEVERITY_CRITICAL, "critical"],
    ["a NaN", { debt_ratio: num(Number.NaN) }, Severity.SEVERITY_CRITICAL, "critical"],
    ["an Infinity", { income: num(Number.POSITIVE_INFINITY) }, Severity.SEVERITY_CRITICAL, "critical"],
    ["an out-of-range value", { age: num(121) }, Severity.SEVERITY_WARNING, "warning"],
    ["an unknown category", { employment: cat("pirate") }, Severity.SEVERITY_WARNING, "warning"],
    ["a wrong type", { age: cat("x") }, Severity.SEVERITY_WARNING, "warning"],
    ["an undeclared feature", { extra: num(1) }, Severity.SEVERITY_WARNING, "warning"],
  ] as const)("%s has the right severity", (_name, changes, severity, label) => {
    const [finding] = findingsFor(changes);
    expect(finding?.severity).toBe(severity);
    expect(finding?.labels.severity).toBe(label);
  });

  it("gives the same ids for the same event every time and whatever the order of the rules", () => {
    const e = event(withFeatures({ age: num(500) }));
    const violations = validateInput(schema, e);
    expect(violationsToFindings(e, violations, observedAt)).toEqual(
      violationsToFindings(e, violations, observedAt),
    );

    const rules: Violation[] = [
      { feature: "v", rule: "not_finite", detail: "a" },
      { feature: "v", rule: "dimension", detail: "b" },
    ];
    const ids = (list: Violation[]) => violationsToFindings(e, list, observedAt).map((f) => f.findingId);
    expect(ids(rules)).toEqual(ids([...rules].reverse()));
  });

  it("gives different ids to different events, features and rules", () => {
    const a = findingsFor({ age: num(500) }, { eventId: "evt-a" })[0]?.findingId;
    const b = findingsFor({ age: num(500) }, { eventId: "evt-b" })[0]?.findingId;
    const c = findingsFor({ debt_ratio: num(50) }, { eventId: "evt-a" })[0]?.findingId;
    const d = findingsFor({ age: num(1) }, { eventId: "evt-a" })[0]?.findingId;
    expect(new Set([a, b, c, d]).size).toBe(4);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it("does not let a '|' in client-controlled ids make two findings share an id", () => {
    const violation = (feature: string): Violation => ({ feature, rule: "unknown_feature", detail: "x" });
    const one = violationsToFindings(event({}, { eventId: "a|b" }), [violation("c")], observedAt)[0];
    const two = violationsToFindings(event({}, { eventId: "a" }), [violation("b|c")], observedAt)[0];
    expect(one?.findingId).not.toBe(two?.findingId);
  });

  it("gives all violations of one feature of one model one fingerprint, across events, clients and rules", () => {
    const first = findingsFor({ age: num(500) }, { eventId: "e1", clientId: "c1" })[0];
    const second = findingsFor({ age: num(3) }, { eventId: "e2", clientId: "c2", modelVersion: "v9" })[0];
    const third = findingsFor({ age: num(Number.NaN) }, { eventId: "e3" })[0];
    expect(first?.fingerprint).toBe(second?.fingerprint);
    expect(first?.fingerprint).toBe(third?.fingerprint);
    expect(first?.fingerprint).toBe(inputViolationFingerprint("acme", "credit-risk", "age"));
  });

  it("gives different fingerprints to different features, tenants and models", () => {
    const age = findingsFor({ age: num(500) })[0]?.fingerprint;
    const ratio = findingsFor({ debt_ratio: num(50) })[0]?.fingerprint;
    const otherTenant = findingsFor({ age: num(500) }, { tenant: "globex" })[0]?.fingerprint;
    const otherModel = inputViolationFingerprint("acme", "credit-risk-v2", "age");
    expect(new Set([age, ratio, otherTenant, otherModel]).size).toBe(4);
  });

  it("never puts raw text into a finding", () => {
    const secret = "Customer Jane Roe, card 4111 1111 1111 1111, said: ";
    const findings = findingsFor({ notes: text(secret.repeat(30)), age: text(secret) });
    expect(findings.map((f) => f.evidence.rule)).toEqual(["type", "too_long"]);
    const serialized = JSON.stringify(findings);
    expect(serialized).not.toContain("4111");
    expect(serialized).not.toContain("Jane");
    expect(findings[1]?.evidence.observed).toBe(`length ${secret.length * 30}`);
  });
});

describe("detectInputViolations", () => {
  const schemas = exampleSchemas();

  it("validates events of a declared model", () => {
    const findings = detectInputViolations(schemas, event(withFeatures({ age: num(212) })), observedAt);
    expect(findings.map((f) => f.summary)).toEqual([
      'credit-risk: feature "age" above max (observed 212 > 120)',
    ]);
  });

  it("leaves events of undeclared models alone", () => {
    expect(
      detectInputViolations(schemas, event({ anything: num(Number.NaN) }, { modelId: "other" }), observedAt),
    ).toEqual([]);
  });

  it("returns nothing for a valid event", () => {
    expect(detectInputViolations(schemas, event(validFeatures()), observedAt)).toEqual([]);
  });
});
