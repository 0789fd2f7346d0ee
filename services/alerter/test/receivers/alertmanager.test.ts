import { describe, expect, it } from "vitest";
import {
  alertmanagerPayload,
  validateAlertmanagerPayload,
  ZERO_TIME,
} from "../../src/domain/receivers/alertmanager.js";
import { alertRecord, attackAlert } from "./helpers.js";

const firing = alertRecord();
const resolved = alertRecord({
  fingerprint: "fp-credit-risk-income",
  labels: { alertname: "InputViolation", model: "credit-risk", severity: "warning", feature: "income" },
  summary: "income back to normal",
  evidence: {},
  state: "resolved",
  endsAt: "2025-03-04T05:10:00.000Z",
  updatedAt: "2025-03-04T05:10:00.000Z",
});
const base = {
  receiver: "oncall",
  groupKey: '{}:{alertname="InputViolation"}',
  groupLabels: { alertname: "InputViolation" },
  externalURL: "https://argus.example.com",
};

describe("alertmanagerPayload", () => {
  it("has every documented webhook field with its documented type", () => {
    const p = alertmanagerPayload({ ...base, alerts: [firing, resolved] });
    expect(validateAlertmanagerPayload(p)).toEqual([]);
    expect(Object.keys(p).sort()).toEqual(
      [
        "version",
        "groupKey",
        "truncatedAlerts",
        "status",
        "receiver",
        "groupLabels",
        "commonLabels",
        "commonAnnotations",
        "externalURL",
        "alerts",
      ].sort(),
    );
    expect(p).toMatchObject({
      version: "4",
      groupKey: base.groupKey,
      truncatedAlerts: 0,
      status: "firing",
      receiver: "oncall",
      groupLabels: { alertname: "InputViolation" },
      externalURL: "https://argus.example.com",
    });
    for (const a of p.alerts) {
      expect(Object.keys(a).sort()).toEqual(
        ["status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"].sort(),
      );
    }
  });

  it("survives a JSON round trip unchanged (it is what goes on the wire)", () => {
    const p = alertmanagerPayload({ ...base, alerts: [firing, resolved] });
    expect(validateAlertmanagerPayload(JSON.parse(JSON.stringify(p)))).toEqual([]);
  });

  it("uses Alertmanager's zero time as a firing alert's endsAt and the real end for a resolved one", () => {
    const p = alertmanagerPayload({ ...base, alerts: [firing, resolved] });
    const byFp = Object.fromEntries(p.alerts.map((a) => [a.fingerprint, a]));
    expect(byFp[firing.fingerprint]).toMatchObject({
      status: "firing",
      endsAt: ZERO_TIME,
      startsAt: firing.startsAt,
    });
    expect(ZERO_TIME).toBe("0001-01-01T00:00:00Z");
    expect(byFp[resolved.fingerprint]).toMatchObject({
      status: "resolved",
      endsAt: "2025-03-04T05:10:00.000Z",
    });
  });

  it("is resolved only when no alert fires", () => {
    expect(alertmanagerPayload({ ...base, alerts: [resolved] }).status).toBe("resolved");
    expect(alertmanagerPayload({ ...base, alerts: [resolved, firing] }).status).toBe("firing");
  });

  it("computes commonLabels and commonAnnotations as the pairs every alert shares", () => {
    const a = alertRecord({
      fingerprint: "a",
      labels: { alertname: "X", model: "m", env: "prod" },
      summary: "same",
    });
    const b = alertRecord({
      fingerprint: "b",
      labels: { alertname: "X", model: "m", env: "dev" },
      summary: "same",
    });
    const c = alertRecord({ fingerprint: "c", labels: { alertname: "X", model: "m" }, summary: "same" });
    const p = alertmanagerPayload({ ...base, alerts: [a, b, c] });
    expect(p.commonLabels).toEqual({ alertname: "X", model: "m" });
    expect(p.commonAnnotations).toEqual({
      summary: "same",
      evidence: JSON.stringify({ feature: "age", rule: "max" }),
      event_count: "2",
      first_seen: "2025-03-04T05:00:00.000Z",
      last_seen: "2025-03-04T05:03:00.000Z",
      sample_event_ids: "ev-1,ev-2",
    });
    const differing = alertmanagerPayload({
      ...base,
      alerts: [a, alertRecord({ fingerprint: "d", summary: "other" })],
    });
    expect(differing.commonAnnotations).not.toHaveProperty("summary");
  });

  it("carries summary and the evidence as one JSON annotation", () => {
    const p = alertmanagerPayload({ ...base, alerts: [firing, resolved] });
    const [f] = p.alerts.filter((a) => a.fingerprint === firing.fingerprint);
    expect(f?.annotations.summary).toBe(firing.summary);
    expect(JSON.parse(f?.annotations.evidence ?? "")).toEqual(firing.evidence);
    const [r] = p.alerts.filter((a) => a.fingerprint === resolved.fingerprint);
    expect(r?.annotations).not.toHaveProperty("evidence");
    expect(r?.annotations.summary).toBe("income back to normal");
  });

  it("says how many findings the episode had, when it was first and last seen, its categories and sample events", () => {
    const attack = attackAlert();
    const [alert] = alertmanagerPayload({ ...base, alerts: [attack] }).alerts;
    expect(alert?.labels.client).toBe("c-7f3a");
    expect(alert?.annotations).toMatchObject({
      event_count: "150",
      first_seen: "2025-03-04T05:00:00.000Z",
      last_seen: "2025-03-04T05:24:00.000Z",
      categories: "jailbreak,system_prompt",
      sample_event_ids: "ev-1,ev-2,ev-149,ev-150",
    });
    // Nothing to list, nothing said: no empty annotations.
    const quiet = alertRecord({
      episode: { ...attack.episode, categories: [], firstEventIds: [], latestEventIds: [] },
    });
    const [plain] = alertmanagerPayload({ ...base, alerts: [quiet] }).alerts;
    expect(plain?.annotations).not.toHaveProperty("categories");
    expect(plain?.annotations).not.toHaveProperty("sample_event_ids");
  });

  it("orders alerts deterministically whatever the input order", () => {
    const alerts = ["c", "a", "b"].map((x) =>
      alertRecord({ fingerprint: `fp-${x}`, labels: { alertname: x } }),
    );
    const one = alertmanagerPayload({ ...base, alerts });
    const two = alertmanagerPayload({ ...base, alerts: [...alerts].reverse() });
    expect(one.alerts.map((a) => a.fingerprint)).toEqual(["fp-a", "fp-b", "fp-c"]);
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
  });

  it("truncates to maxAlerts and reports the rest in truncatedAlerts; common labels still cover all", () => {
    const alerts = ["a", "b", "c", "d", "e"].map((x) =>
      alertRecord({ fingerprint: `fp-${x}`, labels: { alertname: "X", feature: x } }),
    );
    const p = alertmanagerPayload({ ...base, alerts, maxAlerts: 2 });
    expect(validateAlertmanagerPayload(p)).toEqual([]);
    expect(p.alerts.map((a) => a.fingerprint)).toEqual(["fp-a", "fp-b"]);
    expect(p.truncatedAlerts).toBe(3);
    expect(p.commonLabels).toEqual({ alertname: "X" });
  });

  it("sends every alert when maxAlerts is 0 or at least the group size", () => {
    const alerts = [firing, resolved];
    expect(alertmanagerPayload({ ...base, alerts, maxAlerts: 0 })).toMatchObject({ truncatedAlerts: 0 });
    expect(alertmanagerPayload({ ...base, alerts, maxAlerts: 0 }).alerts).toHaveLength(2);
    expect(alertmanagerPayload({ ...base, alerts, maxAlerts: 2 })).toMatchObject({ truncatedAlerts: 0 });
    expect(() => alertmanagerPayload({ ...base, alerts, maxAlerts: -1 })).toThrow(/maxAlerts/);
  });

  it("fills generatorURL from the option, else with an empty string", () => {
    const p = alertmanagerPayload({
      ...base,
      alerts: [firing],
      generatorURL: (a) => `https://argus.example.com/alerts/${a.fingerprint}`,
    });
    expect(p.alerts[0]?.generatorURL).toBe("https://argus.example.com/alerts/fp-credit-risk-age");
    expect(alertmanagerPayload({ ...base, alerts: [firing] }).alerts[0]?.generatorURL).toBe("");
  });
});

describe("validateAlertmanagerPayload", () => {
  const good = () => JSON.parse(JSON.stringify(alertmanagerPayload({ ...base, alerts: [firing] })));

  it.each([
    ["version", (p: Record<string, unknown>) => (p.version = 4), "version"],
    ["groupKey", (p: Record<string, unknown>) => delete p.groupKey, "groupKey"],
    ["truncatedAlerts", (p: Record<string, unknown>) => (p.truncatedAlerts = "0"), "truncatedAlerts"],
    ["status", (p: Record<string, unknown>) => (p.status = "pending"), "status"],
    ["receiver", (p: Record<string, unknown>) => delete p.receiver, "receiver"],
    ["commonLabels", (p: Record<string, unknown>) => (p.commonLabels = { a: 1 }), "commonLabels"],
    ["externalURL", (p: Record<string, unknown>) => delete p.externalURL, "externalURL"],
    ["alerts", (p: Record<string, unknown>) => (p.alerts = {}), "alerts"],
    [
      "alert endsAt",
      (p: { alerts: Record<string, unknown>[] }) => delete p.alerts[0]?.endsAt,
      "alerts[0].endsAt",
    ],
    [
      "alert startsAt",
      (p: { alerts: Record<string, unknown>[] }) => ((p.alerts[0] ?? {}).startsAt = "yesterday"),
      "alerts[0].startsAt",
    ],
    [
      "alert fingerprint",
      (p: { alerts: Record<string, unknown>[] }) => delete p.alerts[0]?.fingerprint,
      "alerts[0].fingerprint",
    ],
    [
      "alert status",
      (p: { alerts: Record<string, unknown>[] }) => ((p.alerts[0] ?? {}).status = "ok"),
      "alerts[0].status",
    ],
    // biome-ignore lint/suspicious/noExplicitAny: the mutators take differently shaped payloads
  ] as [string, (p: any) => unknown, string][])(
    "reports a missing or mistyped %s",
    (_name, mutate, field) => {
      const p = good();
      mutate(p);
      const errors = validateAlertmanagerPayload(p);
      expect(errors.some((e) => e.startsWith(`${field}:`))).toBe(true);
    },
  );

  it("rejects a non-object", () => {
    expect(validateAlertmanagerPayload(null)).not.toEqual([]);
    expect(validateAlertmanagerPayload([])).not.toEqual([]);
  });
});
