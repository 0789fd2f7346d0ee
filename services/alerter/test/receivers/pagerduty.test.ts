import { describe, expect, it } from "vitest";
import { Severity } from "../../src/domain/alert.js";
import {
  PAGERDUTY_MAX_BODY_BYTES,
  type PagerDutyAction,
  pagerDutyBodyBytes,
  pagerDutyDedupKey,
  pagerDutyEvent,
  pagerDutySeverity,
  validatePagerDutyEvent,
} from "../../src/domain/receivers/pagerduty.js";
import { alertRecord, attackAlert } from "./helpers.js";

const routingKey = "R0123456789abcdef0123456789abcde"; // 32 characters, like an integration key
const source = "acme/credit-risk";
const alert = alertRecord({ severity: Severity.SEVERITY_CRITICAL });

function trigger(overrides: Partial<Parameters<typeof pagerDutyEvent>[0]> = {}) {
  return pagerDutyEvent({ routingKey, action: "trigger", alert, source, ...overrides });
}

describe("pagerDutyEvent", () => {
  it("builds a trigger with the Events v2 required fields", () => {
    const e = trigger({ clientUrl: "https://argus.example.com/alerts/fp" });
    expect(validatePagerDutyEvent(e)).toEqual([]);
    expect(validatePagerDutyEvent(JSON.parse(JSON.stringify(e)))).toEqual([]);
    expect(e).toMatchObject({
      routing_key: routingKey,
      event_action: "trigger",
      dedup_key: alert.fingerprint,
      client: "Argus",
      client_url: "https://argus.example.com/alerts/fp",
      payload: {
        summary: alert.summary,
        source,
        severity: "critical",
        timestamp: alert.updatedAt,
        component: "credit-risk",
        group: "acme",
        class: "input_violation",
      },
    });
    expect(e.payload?.custom_details).toMatchObject({
      fingerprint: alert.fingerprint,
      labels: alert.labels,
      evidence: alert.evidence,
    });
    expect(e.payload?.custom_details).not.toHaveProperty("truncated");
  });

  it("names the client and sums up the episode in custom_details", () => {
    const e = trigger({ alert: attackAlert() });
    expect(validatePagerDutyEvent(e)).toEqual([]);
    expect(e.payload?.custom_details).toMatchObject({
      client: "c-7f3a",
      finding_count: 150,
      first_seen: "2025-03-04T05:00:00.000Z",
      last_seen: "2025-03-04T05:24:00.000Z",
      categories: ["jailbreak", "system_prompt"],
      sample_event_ids: ["ev-1", "ev-2", "ev-149", "ev-150"],
    });
    // Kept when the evidence has to go to fit PagerDuty's limit: it is what on-call acts on.
    const huge = trigger({
      alert: attackAlert({ evidence: { matches: "x".repeat(PAGERDUTY_MAX_BODY_BYTES) } }),
    });
    expect(huge.payload?.custom_details).toMatchObject({
      client: "c-7f3a",
      sample_event_ids: ["ev-1", "ev-2", "ev-149", "ev-150"],
    });
    expect(huge.payload?.custom_details).not.toHaveProperty("evidence");
  });

  it.each([
    [Severity.SEVERITY_CRITICAL, "critical"],
    [Severity.SEVERITY_WARNING, "warning"],
    [Severity.SEVERITY_INFO, "info"],
    [Severity.SEVERITY_UNSPECIFIED, "error"],
    [Severity.UNRECOGNIZED, "error"],
  ])("maps severity %s to %s", (severity, expected) => {
    expect(pagerDutySeverity(severity)).toBe(expected);
    expect(trigger({ alert: alertRecord({ severity }) }).payload?.severity).toBe(expected);
  });

  it("caps the summary at 1024 characters", () => {
    const e = trigger({ alert: alertRecord({ summary: "x".repeat(5000) }) });
    expect(Array.from(e.payload?.summary ?? "")).toHaveLength(1024);
    expect(e.payload?.summary.endsWith("…")).toBe(true);
    expect(validatePagerDutyEvent(e)).toEqual([]);
    const emoji = trigger({ alert: alertRecord({ summary: "🔥".repeat(2000) }) });
    expect(Array.from(emoji.payload?.summary ?? "")).toHaveLength(1024);
    expect(emoji.payload?.summary).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it("never sends an empty summary", () => {
    const e = trigger({ alert: alertRecord({ summary: "  " }) });
    expect(e.payload?.summary).toBe("input_violation on credit-risk (acme)");
    expect(validatePagerDutyEvent(e)).toEqual([]);
  });

  it("uses the alert fingerprint as a stable dedup_key across notifications and updates", () => {
    const first = trigger();
    const later = trigger({ alert: { ...alert, findingCount: 9, summary: "worse", notificationSeq: 4 } });
    expect(first.dedup_key).toBe(alert.fingerprint);
    expect(later.dedup_key).toBe(first.dedup_key);
    expect(trigger({ alert: alertRecord({ fingerprint: "other" }) }).dedup_key).not.toBe(first.dedup_key);
  });

  it("hashes a fingerprint longer than PagerDuty's 255-character dedup_key limit", () => {
    const key = pagerDutyDedupKey({ fingerprint: "f".repeat(300) });
    expect(key.length).toBeLessThanOrEqual(255);
    expect(pagerDutyDedupKey({ fingerprint: "f".repeat(300) })).toBe(key);
  });

  it.each(["acknowledge", "resolve"] as PagerDutyAction[])(
    "sends %s with the trigger's dedup_key and no payload",
    (action) => {
      const t = trigger();
      const e = pagerDutyEvent({ routingKey, action, alert: { ...alert, state: "resolved" }, source });
      expect(validatePagerDutyEvent(e)).toEqual([]);
      expect(e.event_action).toBe(action);
      expect(e.dedup_key).toBe(t.dedup_key);
      expect(e).not.toHaveProperty("payload");
    },
  );

  it("uses an explicit dedupKey for every action when given", () => {
    for (const action of ["trigger", "acknowledge", "resolve"] as PagerDutyAction[]) {
      expect(pagerDutyEvent({ routingKey, action, alert, source, dedupKey: "group-1" }).dedup_key).toBe(
        "group-1",
      );
    }
  });

  it("keeps the body within 512 KB by dropping evidence first, and says so", () => {
    const big = alertRecord({ evidence: { sample: "e".repeat(600 * 1024) } });
    const e = trigger({ alert: big });
    expect(pagerDutyBodyBytes(e)).toBeLessThanOrEqual(PAGERDUTY_MAX_BODY_BYTES);
    expect(validatePagerDutyEvent(e)).toEqual([]);
    expect(e.payload?.custom_details).not.toHaveProperty("evidence");
    expect(e.payload?.custom_details.labels).toEqual(big.labels);
    expect(e.payload?.custom_details.truncated).toMatch(/evidence dropped/);
  });

  it("drops labels too when evidence alone is not enough", () => {
    const big = alertRecord({
      labels: { alertname: "X", huge: "l".repeat(600 * 1024) },
      evidence: { sample: "e".repeat(100 * 1024) },
    });
    const e = trigger({ alert: big });
    expect(pagerDutyBodyBytes(e)).toBeLessThanOrEqual(PAGERDUTY_MAX_BODY_BYTES);
    expect(validatePagerDutyEvent(e)).toEqual([]);
    expect(e.payload?.custom_details).not.toHaveProperty("evidence");
    expect(e.payload?.custom_details).not.toHaveProperty("labels");
    expect(e.payload?.custom_details.truncated).toMatch(/evidence and labels dropped/);
  });

  it("counts bytes, not characters, against the limit", () => {
    // 200k three-byte characters: 600 KB of UTF-8 but only 200k JS characters.
    const e = trigger({ alert: alertRecord({ evidence: { sample: "€".repeat(200 * 1024) } }) });
    expect(pagerDutyBodyBytes(e)).toBeLessThanOrEqual(PAGERDUTY_MAX_BODY_BYTES);
    expect(e.payload?.custom_details.truncated).toMatch(/evidence dropped/);
  });
});

describe("validatePagerDutyEvent", () => {
  const good = () => JSON.parse(JSON.stringify(trigger()));

  it.each([
    ["routing_key", (e: Record<string, unknown>) => delete e.routing_key],
    ["routing_key", (e: Record<string, unknown>) => (e.routing_key = "short")],
    ["event_action", (e: Record<string, unknown>) => (e.event_action = "page")],
    ["payload", (e: Record<string, unknown>) => delete e.payload],
    ["payload.summary", (e: { payload: Record<string, unknown> }) => delete e.payload.summary],
    ["payload.summary", (e: { payload: Record<string, unknown> }) => (e.payload.summary = "s".repeat(1025))],
    ["payload.source", (e: { payload: Record<string, unknown> }) => delete e.payload.source],
    ["payload.severity", (e: { payload: Record<string, unknown> }) => (e.payload.severity = "high")],
    ["payload.severity", (e: { payload: Record<string, unknown> }) => delete e.payload.severity],
    ["payload.timestamp", (e: { payload: Record<string, unknown> }) => (e.payload.timestamp = "whenever")],
    ["payload.custom_details", (e: { payload: Record<string, unknown> }) => (e.payload.custom_details = "x")],
    ["dedup_key", (e: Record<string, unknown>) => (e.dedup_key = "k".repeat(256))],
    // biome-ignore lint/suspicious/noExplicitAny: the mutators take differently shaped events
  ] as [string, (e: any) => unknown][])("reports a missing or invalid %s", (field, mutate) => {
    const e = good();
    mutate(e);
    expect(validatePagerDutyEvent(e).some((x) => x.startsWith(`${field}:`))).toBe(true);
  });

  it.each(["acknowledge", "resolve"])("requires dedup_key for %s but not a payload", (action) => {
    expect(validatePagerDutyEvent({ routing_key: routingKey, event_action: action })).toEqual([
      `dedup_key: required for ${action}`,
    ]);
    expect(validatePagerDutyEvent({ routing_key: routingKey, event_action: action, dedup_key: "k" })).toEqual(
      [],
    );
  });

  it("accepts a trigger without dedup_key (PagerDuty then generates one)", () => {
    const e = good();
    delete e.dedup_key;
    expect(validatePagerDutyEvent(e)).toEqual([]);
  });

  it("reports a body over 512 KB", () => {
    const e = good();
    e.payload.custom_details = { blob: "b".repeat(PAGERDUTY_MAX_BODY_BYTES) };
    expect(validatePagerDutyEvent(e)).toContain(`body: exceeds ${PAGERDUTY_MAX_BODY_BYTES} bytes`);
  });
});
