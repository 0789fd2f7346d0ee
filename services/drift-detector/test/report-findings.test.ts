import {
  type DriftReport,
  type FeatureDrift,
  FeatureType,
  type Finding,
  FindingKind,
  ReportStatus,
  Severity,
} from "@argus/proto";
import { describe, expect, it } from "vitest";
import { reportFindings } from "../src/domain/report-findings.js";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const windowMs = 300_000;

function featureDrift(name: string, overrides: Partial<FeatureDrift> = {}): FeatureDrift {
  return {
    feature: name,
    type: FeatureType.FEATURE_TYPE_NUMERIC,
    test: "wasserstein",
    statistic: 0.02,
    pValue: 0,
    threshold: 0.1,
    drifted: false,
    psi: 0.01,
    count: 1000,
    missingRate: 0,
    referenceMissingRate: 0,
    missingRateDrift: false,
    outOfRangeRate: 0,
    outOfRangeDrift: false,
    topBins: [{ bin: "1.5..+inf", currentShare: 0.1, referenceShare: 0.1, psiContribution: 0 }],
    mean: 0,
    referenceMean: 0,
    ...overrides,
  };
}

function report(overrides: Partial<DriftReport> = {}, window = 0): DriftReport {
  const start = T0 + window * windowMs;
  return {
    modelId: "credit",
    windowStart: new Date(start),
    windowEnd: new Date(start + windowMs),
    status: ReportStatus.REPORT_STATUS_NO_DRIFT,
    baselineVersion: 7,
    baselineHash: "abc",
    eventCount: 1000,
    lateEventCount: 0,
    datasetDrift: false,
    driftedFeatureShare: 0,
    datasetDriftThreshold: 0.5,
    features: [
      featureDrift("age"),
      featureDrift("income"),
      featureDrift("plan", { test: "chisquare", pValue: 0.4 }),
    ],
    prediction: undefined,
    confidence: undefined,
    performance: undefined,
    multivariate: undefined,
    evaluatedAt: new Date(start + 2 * windowMs),
    ...overrides,
  };
}

const bySubject = (findings: Finding[]) => new Map(findings.map((f) => [f.subject?.feature ?? "", f]));

describe("reportFindings", () => {
  it("no findings without a baseline or with too little data (no verdict, no alert churn)", () => {
    expect(reportFindings(report({ status: ReportStatus.REPORT_STATUS_NO_BASELINE }), "acme")).toEqual([]);
    expect(reportFindings(report({ status: ReportStatus.REPORT_STATUS_INSUFFICIENT_DATA }), "acme")).toEqual(
      [],
    );
  });

  it("one drift finding per feature, firing when drifted and resolved otherwise, plus the dataset verdict", () => {
    const drifted = report({
      status: ReportStatus.REPORT_STATUS_DRIFT,
      features: [featureDrift("age", { drifted: true, statistic: 0.4 }), featureDrift("income")],
      driftedFeatureShare: 0.5,
      datasetDrift: true,
    });
    const findings = bySubject(reportFindings(drifted, "acme"));
    expect(findings.get("age")?.resolved).toBe(false);
    expect(findings.get("age")?.kind).toBe(FindingKind.FINDING_KIND_DRIFT);
    expect(findings.get("age")?.score).toBe(0.4);
    expect(findings.get("age")?.threshold).toBe(0.1);
    expect(findings.get("income")?.resolved).toBe(true);
    const dataset = findings.get("__dataset__");
    expect(dataset?.resolved).toBe(false);
    expect(dataset?.severity).toBe(Severity.SEVERITY_CRITICAL);
    expect(dataset?.labels.severity).toBe("critical");
    expect(dataset?.evidence.drifted_features).toBe("age");
    expect(dataset?.score).toBe(0.5);
  });

  it("prediction, confidence and multivariate signals get their own findings", () => {
    const findings = bySubject(
      reportFindings(
        report({
          prediction: featureDrift("__prediction__", { drifted: true, test: "chisquare", pValue: 1e-5 }),
          confidence: featureDrift("__confidence__"),
          multivariate: {
            method: "pca_reconstruction",
            components: 2,
            reconstructionError: 1.9,
            referenceError: 0.4,
            threshold: 0.6,
            drifted: true,
          },
        }),
        "acme",
      ),
    );
    expect(findings.get("__prediction__")?.resolved).toBe(false);
    expect(findings.get("__prediction__")?.summary).toContain("chisquare: p=0.0000100");
    expect(findings.get("__confidence__")?.resolved).toBe(true);
    expect(findings.get("__multivariate__")?.resolved).toBe(false);
    expect(findings.get("__multivariate__")?.score).toBe(1.9);
    expect(findings.get("__multivariate__")?.threshold).toBe(0.6);
  });

  it("evidence carries the statistic, window bounds, baseline version and top bins", () => {
    const age = bySubject(
      reportFindings(
        report({
          features: [
            featureDrift("age", {
              drifted: true,
              statistic: 0.31,
              psi: 0.27,
              topBins: [
                { bin: "62..+inf", currentShare: 0.31234, referenceShare: 0.1, psiContribution: 0.2 },
              ],
            }),
          ],
        }),
        "acme",
      ),
    ).get("age");
    expect(age?.evidence).toMatchObject({
      test: "wasserstein",
      statistic: "0.31",
      psi: "0.27",
      window_start: "2025-01-01T00:00:00.000Z",
      window_end: "2025-01-01T00:05:00.000Z",
      baseline_version: "7",
      events: "1000",
    });
    expect(JSON.parse(age?.evidence.top_bins ?? "[]")).toEqual([["62..+inf", 0.1, 0.3123]]);
    expect(age?.labels).toMatchObject({
      alertname: "DataDrift",
      model: "credit",
      feature: "age",
      tenant: "acme",
    });
    expect(age?.observedAt?.toISOString()).toBe("2025-01-01T00:05:00.000Z");
    expect(age?.tenant).toBe("acme");
    expect(age?.detector).toBe("drift-detector");
  });

  it("ids are deterministic per (model, window, signal): a re-evaluated window republishes the same ids", () => {
    const first = reportFindings(report(), "acme");
    const again = reportFindings(report(), "acme");
    expect(again.map((f) => f.findingId)).toEqual(first.map((f) => f.findingId));
    const ids = first.map((f) => f.findingId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);
  });

  it("ids differ between windows and models; fingerprints are stable across windows", () => {
    const w0 = bySubject(reportFindings(report({}, 0), "acme"));
    const w1 = bySubject(reportFindings(report({}, 1), "acme"));
    const otherModel = bySubject(reportFindings(report({ modelId: "fraud" }, 0), "acme"));
    for (const subject of ["age", "income", "plan", "__dataset__"]) {
      expect(w1.get(subject)?.findingId).not.toBe(w0.get(subject)?.findingId);
      expect(w1.get(subject)?.fingerprint).toBe(w0.get(subject)?.fingerprint);
      expect(otherModel.get(subject)?.findingId).not.toBe(w0.get(subject)?.findingId);
      expect(otherModel.get(subject)?.fingerprint).not.toBe(w0.get(subject)?.fingerprint);
    }
    expect(w0.get("age")?.fingerprint).not.toBe(w0.get("income")?.fingerprint);
  });

  it("fingerprints are per tenant", () => {
    const acme = bySubject(reportFindings(report(), "acme")).get("age");
    const globex = bySubject(reportFindings(report(), "globex")).get("age");
    expect(globex?.fingerprint).not.toBe(acme?.fingerprint);
  });

  it("separators in names cannot make two signals collide", () => {
    const tricky = report({ features: [featureDrift("a|b"), featureDrift("a\\|b"), featureDrift("a")] });
    const ids = reportFindings(tricky, "acme").map((f) => f.findingId);
    expect(new Set(ids).size).toBe(ids.length);
    const prints = reportFindings(tricky, "acme").map((f) => f.fingerprint);
    expect(new Set(prints).size).toBe(prints.length);
  });

  it("a data-quality problem (missing or out of range) fires a quality finding with the rates", () => {
    const findings = bySubject(
      reportFindings(
        report({
          features: [
            featureDrift("age", { missingRate: 0.4, referenceMissingRate: 0.01, missingRateDrift: true }),
          ],
        }),
        "acme",
      ),
    );
    const quality = findings.get("age#quality");
    expect(quality?.resolved).toBe(false);
    expect(quality?.evidence.missing_rate).toBe("0.4");
    expect(quality?.summary).toContain("40.0%");
    expect(findings.get("age")?.resolved).toBe(true); // the values themselves did not drift
  });

  it("a data-quality alert is resolved by the next window without the problem (alerts close with the data)", () => {
    const bad = bySubject(
      reportFindings(
        report({ features: [featureDrift("age", { missingRate: 0.4, missingRateDrift: true })] }, 0),
        "acme",
      ),
    ).get("age#quality");
    const good = bySubject(reportFindings(report({ features: [featureDrift("age")] }, 1), "acme")).get(
      "age#quality",
    );
    expect(bad?.resolved).toBe(false);
    expect(good).toBeDefined();
    expect(good?.resolved).toBe(true);
    expect(good?.fingerprint).toBe(bad?.fingerprint);
    expect(good?.findingId).not.toBe(bad?.findingId);
  });

  it("every finding of a window names that window's end as its observation time", () => {
    for (const finding of reportFindings(report({}, 3), "acme")) {
      expect(finding.observedAt?.getTime()).toBe(T0 + 4 * windowMs);
      expect(finding.evidence.baseline_version).toBe("7");
    }
  });
});
