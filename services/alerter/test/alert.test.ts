import type { Finding } from "@argus/proto";
import { describe, expect, it } from "vitest";
import {
  type AlertRecord,
  type AppliedFinding,
  applyFinding,
  FindingKind,
  kindName,
  lastHeardMs,
  Severity,
  severityName,
} from "../src/domain/alert.js";
import { alerterNow, finding, fingerprint, resolution, t } from "./fixtures.js";

/** Feeds findings in order, as the findings handler does, and returns each result. */
function feed(findings: Finding[], start?: AlertRecord): Array<AppliedFinding | null> {
  let current = start;
  return findings.map((f) => {
    const applied = applyFinding(current, f, alerterNow);
    if (applied) current = applied.alert;
    return applied;
  });
}

function last(findings: Finding[]): AppliedFinding {
  const results = feed(findings).filter((r): r is AppliedFinding => r !== null);
  const result = results.at(-1);
  if (!result) throw new Error("no finding changed the alert");
  return result;
}

describe("applyFinding: the first finding", () => {
  it("opens a firing alert that starts when the detector observed it", () => {
    const applied = applyFinding(undefined, finding("f1", { observedAt: t(3) }), alerterNow);

    expect(applied?.transition).toBe("firing");
    expect(applied?.alert).toEqual({
      fingerprint,
      tenant: "acme",
      modelId: "credit-risk",
      kind: FindingKind.FINDING_KIND_INPUT_VIOLATION,
      severity: Severity.SEVERITY_WARNING,
      labels: { alertname: "InputViolation", model: "credit-risk", severity: "warning" },
      summary: 'credit-risk: feature "age" above max (f1)',
      evidence: { rule: "max", finding: "f1" },
      state: "firing",
      startsAt: t(3).toISOString(),
      updatedAt: t(3).toISOString(),
      // The alerter's own time, which the resolve timeout counts from.
      heardAt: alerterNow.toISOString(),
      findingCount: 1,
      lastFindingId: "f1",
      episode: {
        firstSeenAt: t(3).toISOString(),
        lastSeenAt: t(3).toISOString(),
        categories: [],
        categoriesTruncated: false,
        firstEventIds: [],
        latestEventIds: [],
      },
      notificationSeq: 1,
    });
    expect(applied?.alert).not.toHaveProperty("endsAt");
  });

  it("falls back to the alerter's clock only when the finding carries no observedAt", () => {
    const applied = applyFinding(undefined, finding("f1", { observedAt: undefined }), alerterNow);

    expect(applied?.alert.startsAt).toBe(alerterNow.toISOString());
  });
});

describe("applyFinding: more findings while firing", () => {
  it("updates the alert silently: no transition, count grows, summary and evidence follow the latest", () => {
    const results = feed([
      finding("f1", { observedAt: t(0) }),
      finding("f2", { observedAt: t(1) }),
      finding("f3", { observedAt: t(2), evidence: { rule: "min" } }),
    ]);

    expect(results.map((r) => r?.transition)).toEqual(["firing", null, null]);
    const alert = results[2]?.alert;
    expect(alert).toMatchObject({
      state: "firing",
      startsAt: t(0).toISOString(),
      updatedAt: t(2).toISOString(),
      findingCount: 3,
      lastFindingId: "f3",
      summary: 'credit-risk: feature "age" above max (f3)',
      evidence: { rule: "min" },
      notificationSeq: 1,
    });
    expect(alert?.endsAt).toBeUndefined();
  });

  it("merges routing labels, the latest finding winning", () => {
    const alert = last([
      finding("f1", { labels: { alertname: "InputViolation", team: "risk" } }),
      finding("f2", { labels: { alertname: "InputViolation", feature: "age" } }),
    ]).alert;

    expect(alert.labels).toEqual({ alertname: "InputViolation", team: "risk", feature: "age" });
  });

  it("escalates severity", () => {
    const alert = last([
      finding("f1", { severity: Severity.SEVERITY_INFO }),
      finding("f2", { severity: Severity.SEVERITY_CRITICAL }),
    ]).alert;

    expect(alert.severity).toBe(Severity.SEVERITY_CRITICAL);
  });

  it.each([
    Severity.SEVERITY_WARNING,
    Severity.SEVERITY_INFO,
    Severity.SEVERITY_UNSPECIFIED,
    Severity.UNRECOGNIZED,
  ])("never downgrades a critical alert (later finding %s)", (later) => {
    const alert = last([
      finding("f1", { severity: Severity.SEVERITY_CRITICAL }),
      finding("f2", { severity: later }),
    ]).alert;

    expect(alert.severity).toBe(Severity.SEVERITY_CRITICAL);
  });

  it("keeps the severity routing label in step with the (never downgraded) severity", () => {
    const alert = last([
      finding("f1", {
        severity: Severity.SEVERITY_CRITICAL,
        labels: { alertname: "InputViolation", severity: "critical" },
      }),
      finding("f2", {
        severity: Severity.SEVERITY_WARNING,
        labels: { alertname: "InputViolation", severity: "warning" },
      }),
    ]).alert;

    expect(alert.severity).toBe(Severity.SEVERITY_CRITICAL);
    expect(alert.labels.severity).toBe("critical");
  });

  it("does not let a late finding (observed earlier) move updatedAt backwards", () => {
    const alert = last([
      finding("f1", { observedAt: t(0) }),
      finding("f2", { observedAt: t(5) }),
      finding("f3", { observedAt: t(2) }),
    ]).alert;

    expect(alert.updatedAt).toBe(t(5).toISOString());
    expect(alert.findingCount).toBe(3);
  });
});

describe("applyFinding: event time and the alerter's time", () => {
  it("keeps the detectors' event times and notes when the alerter heard, for a replay days late", () => {
    const opened = applyFinding(undefined, finding("f1", { observedAt: t(1) }), alerterNow);
    const later = new Date(alerterNow.getTime() + 3 * 24 * 3_600_000);
    const updated = applyFinding(opened?.alert, finding("f2", { observedAt: t(2) }), later);
    expect(updated?.alert.updatedAt).toBe(t(2).toISOString());
    expect(updated?.alert.heardAt).toBe(later.toISOString());
    expect(lastHeardMs(updated?.alert as AlertRecord)).toBe(later.getTime());
  });

  it("counts silence from the last update for alerts stored before the alerter noted its own time", () => {
    const opened = applyFinding(undefined, finding("f1", { observedAt: t(1) }), alerterNow);
    if (!opened) throw new Error("the first finding opens an alert");
    const { heardAt: _, ...stored } = opened.alert;
    expect(lastHeardMs(stored)).toBe(t(1).getTime());
  });
});

describe("applyFinding: resolution", () => {
  it("resolves a firing alert at the time the detector saw the condition end", () => {
    const results = feed([finding("f1", { observedAt: t(0) }), resolution("r1", t(10))]);

    expect(results[1]?.transition).toBe("resolved");
    expect(results[1]?.alert).toMatchObject({
      state: "resolved",
      startsAt: t(0).toISOString(),
      endsAt: t(10).toISOString(),
      updatedAt: t(10).toISOString(),
      lastFindingId: "r1",
      findingCount: 1,
      notificationSeq: 2,
    });
  });

  it("keeps what on-call saw while firing (severity, summary, evidence) in the resolved alert", () => {
    const alert = last([
      finding("f1", { severity: Severity.SEVERITY_CRITICAL }),
      resolution("r1", t(10), { severity: Severity.SEVERITY_INFO, evidence: {} }),
    ]).alert;

    expect(alert.severity).toBe(Severity.SEVERITY_CRITICAL);
    expect(alert.summary).toBe('credit-risk: feature "age" above max (f1)');
    expect(alert.evidence).toEqual({ rule: "max", finding: "f1" });
  });

  it("ignores a resolution for an alert never seen: nothing to store, nobody to tell", () => {
    expect(applyFinding(undefined, resolution("r1", t(10)), alerterNow)).toBeNull();
  });

  it("ignores a second resolution of an already resolved alert", () => {
    const results = feed([finding("f1"), resolution("r1", t(10)), resolution("r2", t(11))]);

    expect(results.map((r) => r?.transition ?? null)).toEqual(["firing", "resolved", null]);
    expect(results[2]).toBeNull();
  });

  it("never ends an episode before it started, whatever the detector's clock says", () => {
    const alert = last([finding("f1", { observedAt: t(5) }), resolution("r1", t(4))]).alert;

    expect(alert.state).toBe("resolved");
    expect(Date.parse(alert.endsAt ?? "")).toBeGreaterThanOrEqual(Date.parse(alert.startsAt));
    expect(Date.parse(alert.updatedAt)).toBeGreaterThanOrEqual(Date.parse(alert.startsAt));
  });
});

describe("applyFinding: a finding after resolution", () => {
  const episodes = (): Array<AppliedFinding | null> =>
    feed([
      finding("f1", { observedAt: t(0), severity: Severity.SEVERITY_CRITICAL }),
      finding("f2", { observedAt: t(1), severity: Severity.SEVERITY_CRITICAL }),
      resolution("r1", t(10)),
      finding("f3", {
        observedAt: t(20),
        severity: Severity.SEVERITY_WARNING,
        labels: { alertname: "InputViolation", episode: "2" },
      }),
    ]);

  it("opens a new episode: firing again, new startsAt, count reset, endsAt cleared", () => {
    const reopened = episodes()[3];

    expect(reopened?.transition).toBe("firing");
    expect(reopened?.alert).toMatchObject({
      state: "firing",
      startsAt: t(20).toISOString(),
      updatedAt: t(20).toISOString(),
      findingCount: 1,
      lastFindingId: "f3",
    });
    expect(reopened?.alert).not.toHaveProperty("endsAt");
  });

  it("starts the new episode from its own finding's severity and labels, not the old episode's", () => {
    const reopened = episodes()[3]?.alert;

    expect(reopened?.severity).toBe(Severity.SEVERITY_WARNING);
    expect(reopened?.labels).toEqual({ alertname: "InputViolation", episode: "2" });
  });

  it("keeps counting notifications across episodes, so every notification gets a new sequence", () => {
    const sequences = episodes()
      .filter((r) => r?.transition)
      .map((r) => r?.alert.notificationSeq);

    expect(sequences).toEqual([1, 2, 3]);
  });

  it("does not reopen on a late finding observed before the resolution (no page for a stale condition)", () => {
    const results = feed([
      finding("f1", { observedAt: t(0) }),
      resolution("r1", t(10)),
      finding("f2", { observedAt: t(9) }),
    ]);

    expect(results[2]).toBeNull();
  });
});

describe("names used in notifications and span attributes", () => {
  it.each([
    [FindingKind.FINDING_KIND_INPUT_VIOLATION, "input_violation"],
    [FindingKind.FINDING_KIND_DRIFT, "drift"],
    [FindingKind.FINDING_KIND_ADVERSARIAL_PROBE, "adversarial_probe"],
    [FindingKind.FINDING_KIND_POISONING, "poisoning"],
  ])("kind %s is %s", (kind, name) => {
    expect(kindName(kind)).toBe(name);
  });

  it.each([
    [Severity.SEVERITY_INFO, "info"],
    [Severity.SEVERITY_WARNING, "warning"],
    [Severity.SEVERITY_CRITICAL, "critical"],
  ])("severity %s is %s", (severity, name) => {
    expect(severityName(severity)).toBe(name);
  });
});
