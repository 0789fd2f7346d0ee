import { describe, expect, it } from "vitest";
import { type InhibitionCandidate, type InhibitRule, inhibitingAlert } from "../src/domain/inhibition.js";
import { parseMatcher } from "../src/domain/routing/matchers.js";

function rule(source: string[], target: string[], equal: string[]): InhibitRule {
  return {
    sourceMatchers: source.map(parseMatcher),
    targetMatchers: target.map(parseMatcher),
    equal,
  };
}

function alert(fingerprint: string, labels: Record<string, string>, tenant = "acme"): InhibitionCandidate {
  return { fingerprint, tenant, labels };
}

// A model that is down makes its drift findings noise.
const modelDownSilencesDrift = rule(["kind=model_down"], ["kind=drift"], ["model"]);
const drift = alert("drift", { kind: "drift", model: "credit-risk" });

describe("inhibitingAlert", () => {
  it("is inhibited by a firing source whose equal labels agree", () => {
    const down = alert("down", { kind: "model_down", model: "credit-risk" });
    expect(inhibitingAlert([modelDownSilencesDrift], drift, [down])).toBe("down");
  });

  it("is not inhibited when an equal label differs", () => {
    const otherModel = alert("down", { kind: "model_down", model: "fraud" });
    expect(inhibitingAlert([modelDownSilencesDrift], drift, [otherModel])).toBeUndefined();
  });

  it("is not inhibited when the equal label is present on one side only", () => {
    const unlabelled = alert("down", { kind: "model_down" });
    expect(inhibitingAlert([modelDownSilencesDrift], drift, [unlabelled])).toBeUndefined();
    const targetUnlabelled = alert("drift", { kind: "drift" });
    const down = alert("down", { kind: "model_down", model: "credit-risk" });
    expect(inhibitingAlert([modelDownSilencesDrift], targetUnlabelled, [down])).toBeUndefined();
  });

  it("treats an equal label absent from both alerts as equal, as Alertmanager does", () => {
    const target = alert("drift", { kind: "drift" });
    const source = alert("down", { kind: "model_down" });
    expect(inhibitingAlert([modelDownSilencesDrift], target, [source])).toBe("down");
  });

  it("treats an absent equal label and an empty one as equal", () => {
    const target = alert("drift", { kind: "drift", model: "" });
    const source = alert("down", { kind: "model_down" });
    expect(inhibitingAlert([modelDownSilencesDrift], target, [source])).toBe("down");
  });

  it("is not inhibited by an alert that does not match the source matchers", () => {
    const otherDrift = alert("drift-2", { kind: "drift", model: "credit-risk" });
    expect(inhibitingAlert([modelDownSilencesDrift], drift, [otherDrift])).toBeUndefined();
  });

  it("does not inhibit an alert that does not match the target matchers", () => {
    const outlier = alert("outlier", { kind: "outlier", model: "credit-risk" });
    const down = alert("down", { kind: "model_down", model: "credit-risk" });
    expect(inhibitingAlert([modelDownSilencesDrift], outlier, [down])).toBeUndefined();
  });

  it("is never inhibited by another tenant's alert, whatever its labels", () => {
    const globexDown = alert("down", { kind: "model_down", model: "credit-risk" }, "globex");
    expect(inhibitingAlert([modelDownSilencesDrift], drift, [globexDown])).toBeUndefined();
  });

  it("returns the first inhibiting alert, trying rules in order", () => {
    const critical = alert("critical", { severity: "critical", model: "credit-risk" });
    const down = alert("down", { kind: "model_down", model: "credit-risk" });
    const criticalSilencesDrift = rule(["severity=critical"], ["kind=drift"], []);
    expect(inhibitingAlert([modelDownSilencesDrift, criticalSilencesDrift], drift, [critical, down])).toBe(
      "down",
    );
    expect(inhibitingAlert([criticalSilencesDrift, modelDownSilencesDrift], drift, [critical, down])).toBe(
      "critical",
    );
  });

  it("is unaffected without rules or without firing alerts", () => {
    expect(inhibitingAlert([], drift, [alert("down", { kind: "model_down", model: "credit-risk" })])).toBe(
      undefined,
    );
    expect(inhibitingAlert([modelDownSilencesDrift], drift, [])).toBeUndefined();
  });
});

describe("inhibitingAlert: alerts matching both sides of a rule", () => {
  // Alertmanager's own example (inhibit_test.go): rule s1=1 → t1=1 and s2=1 → t2=1, equal on e.
  const rule1 = rule(["s1=1"], ["t1=1"], ["e"]);
  const rule2 = rule(["s2=1"], ["t2=1"], ["e"]);
  const source1 = alert("source1", { s1: "1", t1: "2", e: "1" }); // source side of rule1 only
  const source2 = alert("source2", { s2: "1", t2: "1", e: "1" }); // both sides of rule2
  const firing = [source1, source2];
  const inhibited = (labels: Record<string, string>) =>
    inhibitingAlert([rule1, rule2], alert("target", labels), firing);

  it("inhibits a target of either rule", () => {
    expect(inhibited({ t1: "1", e: "1" })).toBe("source1");
    expect(inhibited({ t2: "1", e: "1" })).toBe("source2");
    expect(inhibited({ t1: "1", t3: "1", e: "1" })).toBe("source1");
    expect(inhibited({ t1: "1", t2: "1", e: "1" })).toBe("source1");
  });

  it("does not inhibit what matches no target side, nor a target whose equal label differs", () => {
    expect(inhibited({ t1: "0", e: "1" })).toBeUndefined();
    expect(inhibited({ t1: "1", e: "0" })).toBeUndefined();
  });

  it("inhibits a two-sided target by a source that matches the source side only", () => {
    expect(inhibited({ s1: "1", t1: "1", e: "1" })).toBe("source1");
  });

  it("does not inhibit a two-sided target by a source that is two-sided too", () => {
    expect(inhibited({ s2: "1", t2: "1", e: "1" })).toBeUndefined();
  });

  it("keeps two alerts that match both sides from muting each other", () => {
    const criticalSilencesAll = rule(["severity=critical"], ['severity=~".+"'], ["model"]);
    const a = alert("a", { severity: "critical", model: "credit-risk", kind: "drift" });
    const b = alert("b", { severity: "critical", model: "credit-risk", kind: "outlier" });
    expect(inhibitingAlert([criticalSilencesAll], a, [a, b])).toBeUndefined();
    expect(inhibitingAlert([criticalSilencesAll], b, [a, b])).toBeUndefined();
    const warning = alert("w", { severity: "warning", model: "credit-risk" });
    expect(inhibitingAlert([criticalSilencesAll], warning, [a, b])).toBe("a");
  });
});

describe("inhibitingAlert: an alert and itself", () => {
  it("never inhibits itself when it matches both sides of a rule", () => {
    const overlapping = rule(["kind=drift"], ['model=~".+"'], []);
    expect(inhibitingAlert([overlapping], drift, [drift])).toBeUndefined();
  });

  it("is not inhibited by its own fingerprint, even if the firing list holds other labels for it", () => {
    // E.g. a snapshot of the firing alerts taken before this alert's labels were updated.
    const staleSelf = alert("drift", { kind: "model_down", model: "credit-risk" });
    expect(inhibitingAlert([modelDownSilencesDrift], drift, [staleSelf])).toBeUndefined();
  });
});
