import { type Finding, FindingKind, Severity, Verdict } from "@argus/proto";
import { describe, expect, it } from "vitest";
import { screenVerdict } from "../src/domain/screen.js";

function finding(severity: Severity, kind = FindingKind.FINDING_KIND_PROMPT_INJECTION): Finding {
  return {
    findingId: "f",
    kind,
    severity,
    modelId: "chat",
    tenant: "acme",
    subject: undefined,
    score: 1,
    threshold: 0,
    summary: `a ${Severity[severity]} finding`,
    evidence: {},
    labels: {},
    fingerprint: "fp",
    observedAt: new Date(0),
    detector: "text-scanners",
    sampleEventIds: [],
    resolved: false,
  };
}

describe("screenVerdict (what ScreenInput tells the inference path)", () => {
  it("blocks a request with a critical finding, whoever sends it", () => {
    const screened = screenVerdict([finding(Severity.SEVERITY_CRITICAL)], 0);
    expect(screened.verdict).toBe(Verdict.VERDICT_BLOCK);
    expect(screened.score).toBe(1);
    expect(screened.reasons.map((r) => r.summary)).toEqual(["a SEVERITY_CRITICAL finding"]);
  });

  it("blocks a clean request from a client that attacked lately, flags one from a suspicious client", () => {
    expect(screenVerdict([], 0.85).verdict).toBe(Verdict.VERDICT_BLOCK);
    expect(screenVerdict([], 0.55).verdict).toBe(Verdict.VERDICT_FLAG);
    expect(screenVerdict([], 0.2)).toMatchObject({
      verdict: Verdict.VERDICT_ALLOW,
      score: 0.2,
      clientRisk: 0.2,
    });
  });

  it("flags a warning, and lists informational findings without changing the verdict", () => {
    expect(screenVerdict([finding(Severity.SEVERITY_WARNING)], 0).verdict).toBe(Verdict.VERDICT_FLAG);
    const ownData = screenVerdict(
      [finding(Severity.SEVERITY_INFO, FindingKind.FINDING_KIND_DATA_LEAKAGE)],
      0,
    );
    expect(ownData.verdict).toBe(Verdict.VERDICT_ALLOW);
    expect(ownData.reasons).toHaveLength(1);
    expect(ownData.score).toBe(0.3);
  });
});
