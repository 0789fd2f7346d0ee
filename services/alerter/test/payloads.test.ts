import type { Finding } from "@argus/proto";
import { describe, expect, it } from "vitest";
import { type AlertRecord, applyFinding, Severity } from "../src/domain/alert.js";
import { type GroupNotice, notificationBody, pagerDutyGroupDedupKey } from "../src/domain/payloads.js";
import {
  type AlertmanagerPayload,
  validateAlertmanagerPayload,
  ZERO_TIME,
} from "../src/domain/receivers/alertmanager.js";
import {
  PAGERDUTY_MAX_DEDUP_KEY_CHARS,
  type PagerDutyEvent,
  validatePagerDutyEvent,
} from "../src/domain/receivers/pagerduty.js";
import type { SlackMessage } from "../src/domain/receivers/slack.js";
import type {
  Integration,
  PagerDutyIntegration,
  SlackIntegration,
  WebhookIntegration,
} from "../src/domain/routing/config.js";
import { alerterNow, finding, resolution, t } from "./fixtures.js";
import { alertRecord } from "./receivers/helpers.js";

function alertAfter(findings: Finding[]): AlertRecord {
  let current: AlertRecord | undefined;
  for (const f of findings) current = applyFinding(current, f, alerterNow)?.alert ?? current;
  if (!current) throw new Error("no alert");
  return current;
}

// A group of three: a warning and a critical alert firing, and one that fired and resolved.
const warning = alertRecord({
  fingerprint: "fp-a",
  labels: { alertname: "InputViolation", model: "credit-risk", feature: "age", severity: "warning" },
  summary: 'credit-risk: feature "age" above max',
});
const critical = alertRecord({
  fingerprint: "fp-b",
  severity: Severity.SEVERITY_CRITICAL,
  labels: { alertname: "InputViolation", model: "credit-risk", feature: "income", severity: "critical" },
  summary: 'credit-risk: feature "income" above max',
  startsAt: "2025-03-04T05:01:00.000Z",
});
const resolved = alertAfter([
  finding("f1", { fingerprint: "fp-c", labels: { alertname: "InputViolation", model: "credit-risk" } }),
  resolution("r1", t(10), { fingerprint: "fp-c" }),
]);

const groupKey = 'acme/{}:{alertname="InputViolation",model="credit-risk"}';
const otherGroupKey = 'acme/{}:{alertname="InputViolation",model="fraud"}';
const routingKey = "R0123456789abcdef0123456789abcde"; // 32 characters, like an integration key

function notice(overrides: Partial<GroupNotice> = {}): GroupNotice {
  return {
    receiver: "oncall",
    groupKey,
    groupLabels: { model: "credit-risk", alertname: "InputViolation" },
    alerts: [warning, critical, resolved],
    acknowledged: new Set(),
    reason: "new",
    externalUrl: "https://argus.example.com",
    now: alerterNow,
    ...overrides,
  };
}

function webhook(overrides: Partial<WebhookIntegration> = {}): WebhookIntegration {
  return {
    type: "webhook",
    payload: "alertmanager",
    url: "https://hooks.example.com/oncall",
    signingSecrets: [],
    sendResolved: true,
    maxAlerts: 0,
    ...overrides,
  };
}

function pagerDuty(overrides: Partial<PagerDutyIntegration> = {}): PagerDutyIntegration {
  return {
    type: "pagerduty",
    url: "https://events.pagerduty.com/v2/enqueue",
    routingKey,
    signingSecrets: [],
    sendResolved: true,
    ...overrides,
  };
}

function slack(overrides: Partial<SlackIntegration> = {}): SlackIntegration {
  return { type: "slack", url: "https://hooks.slack.com/services/T/B/X", sendResolved: false, ...overrides };
}

/** The parsed body; fails the test when the integration would send nothing. */
function bodyOf<T>(integration: Integration, groupNotice: GroupNotice): T {
  const body = notificationBody(integration, groupNotice);
  if (body === null) throw new Error("expected a body, got null");
  return JSON.parse(body) as T;
}

const fingerprintsOf = (alerts: readonly { fingerprint: string }[]) =>
  alerts.map((a) => a.fingerprint).sort();

describe("notificationBody: webhook with the Alertmanager payload", () => {
  it("is a valid version 4 payload with the group's key, labels and receiver", () => {
    const payload = bodyOf<AlertmanagerPayload>(webhook(), notice());

    expect(validateAlertmanagerPayload(payload)).toEqual([]);
    expect(payload).toMatchObject({
      version: "4",
      groupKey,
      receiver: "oncall",
      groupLabels: { alertname: "InputViolation", model: "credit-risk" },
      externalURL: "https://argus.example.com",
      truncatedAlerts: 0,
      commonLabels: { alertname: "InputViolation", model: "credit-risk" },
    });
    expect(fingerprintsOf(payload.alerts)).toEqual(["fp-a", "fp-b", "fp-c"]);
  });

  it("is firing when any alert of the group fires, resolved when none does", () => {
    expect(bodyOf<AlertmanagerPayload>(webhook(), notice({ alerts: [resolved, warning] })).status).toBe(
      "firing",
    );
    const allResolved = bodyOf<AlertmanagerPayload>(webhook(), notice({ alerts: [resolved] }));
    expect(allResolved.status).toBe("resolved");
    expect(allResolved.alerts).toEqual([
      expect.objectContaining({ fingerprint: "fp-c", status: "resolved", endsAt: t(10).toISOString() }),
    ]);
    expect(validateAlertmanagerPayload(allResolved)).toEqual([]);
  });

  it("reports each alert's own status, a firing one with Go's zero end time", () => {
    const payload = bodyOf<AlertmanagerPayload>(webhook(), notice());
    const byFingerprint = new Map(payload.alerts.map((a) => [a.fingerprint, a]));
    expect(byFingerprint.get("fp-a")).toMatchObject({ status: "firing", endsAt: ZERO_TIME });
    expect(byFingerprint.get("fp-c")).toMatchObject({ status: "resolved", endsAt: t(10).toISOString() });
  });

  it("with send_resolved false leaves resolved alerts out", () => {
    const payload = bodyOf<AlertmanagerPayload>(webhook({ sendResolved: false }), notice());
    expect(fingerprintsOf(payload.alerts)).toEqual(["fp-a", "fp-b"]);
    expect(payload.status).toBe("firing");
    expect(validateAlertmanagerPayload(payload)).toEqual([]);
  });

  it("with send_resolved false sends nothing once nothing firing is left", () => {
    expect(notificationBody(webhook({ sendResolved: false }), notice({ alerts: [resolved] }))).toBeNull();
    expect(notificationBody(webhook({ sendResolved: true }), notice({ alerts: [resolved] }))).not.toBeNull();
  });

  it("sends nothing for a notice without alerts", () => {
    expect(notificationBody(webhook(), notice({ alerts: [] }))).toBeNull();
  });

  it("keeps max_alerts alerts and counts the others in truncatedAlerts", () => {
    const payload = bodyOf<AlertmanagerPayload>(webhook({ maxAlerts: 1 }), notice());
    expect(payload.alerts).toHaveLength(1);
    expect(payload.truncatedAlerts).toBe(2);
    expect(validateAlertmanagerPayload(payload)).toEqual([]);
  });
});

interface ArgusBody {
  type: string;
  timestamp: string;
  data: {
    reason: string;
    groupKey: string;
    receiver: string;
    status: string;
    groupLabels: Record<string, string>;
    summary: string;
    truncatedAlerts: number;
    alerts: Record<string, unknown>[];
  };
}

describe("notificationBody: webhook with the Argus payload", () => {
  const argus = (overrides: Partial<WebhookIntegration> = {}) => webhook({ payload: "argus", ...overrides });

  it("describes the group and each alert, with on-call's acknowledgements", () => {
    const body = bodyOf<ArgusBody>(argus(), notice({ acknowledged: new Set(["fp-a"]) }));

    expect(body).toMatchObject({
      type: "alert.firing",
      timestamp: alerterNow.toISOString(),
      data: {
        reason: "new",
        groupKey,
        receiver: "oncall",
        status: "firing",
        groupLabels: { model: "credit-risk", alertname: "InputViolation" },
        // The most severe firing alert speaks for the group.
        summary: critical.summary,
        truncatedAlerts: 0,
      },
    });
    expect(body.data.alerts).toEqual([
      {
        fingerprint: "fp-a",
        status: "firing",
        acknowledged: true,
        kind: "input_violation",
        severity: "warning",
        model: "credit-risk",
        tenant: "acme",
        summary: warning.summary,
        labels: warning.labels,
        evidence: warning.evidence,
        startsAt: warning.startsAt,
        endsAt: null,
        findingCount: warning.findingCount,
        lastFindingId: warning.lastFindingId,
        firstSeenAt: warning.episode.firstSeenAt,
        lastSeenAt: warning.episode.lastSeenAt,
        categories: [],
        categoriesTruncated: false,
        sampleEventIds: ["ev-1", "ev-2"],
      },
      expect.objectContaining({ fingerprint: "fp-b", acknowledged: false, severity: "critical" }),
      expect.objectContaining({
        fingerprint: "fp-c",
        status: "resolved",
        acknowledged: false,
        startsAt: t(0).toISOString(),
        endsAt: t(10).toISOString(),
        lastFindingId: "r1",
      }),
    ]);
  });

  it("names who resolved an alert when no detector did", () => {
    const byHand = { ...resolved, resolvedBy: "alice@acme" };
    const body = bodyOf<ArgusBody>(argus(), notice({ alerts: [byHand] }));
    expect(body.data.alerts[0]).toMatchObject({ resolvedBy: "alice@acme" });
    expect(bodyOf<ArgusBody>(argus(), notice({ alerts: [resolved] })).data.alerts[0]).not.toHaveProperty(
      "resolvedBy",
    );
  });

  it("is alert.resolved when nothing in the group fires", () => {
    const body = bodyOf<ArgusBody>(argus(), notice({ alerts: [resolved], reason: "all-resolved" }));
    expect(body.type).toBe("alert.resolved");
    expect(body.data.status).toBe("resolved");
    expect(body.data.summary).toBe(resolved.summary);
  });

  it("is alert.test for a test notification, firing alert or not", () => {
    expect(bodyOf<ArgusBody>(argus(), notice({ alerts: [warning], reason: "test" })).type).toBe("alert.test");
    expect(bodyOf<ArgusBody>(argus(), notice({ alerts: [resolved], reason: "test" })).type).toBe(
      "alert.test",
    );
  });

  it("keeps max_alerts alerts and counts the others in truncatedAlerts", () => {
    const body = bodyOf<ArgusBody>(argus({ maxAlerts: 2 }), notice());
    expect(body.data.alerts).toHaveLength(2);
    expect(body.data.truncatedAlerts).toBe(1);
    const unlimited = bodyOf<ArgusBody>(argus({ maxAlerts: 0 }), notice());
    expect(unlimited.data.alerts).toHaveLength(3);
    expect(unlimited.data.truncatedAlerts).toBe(0);
  });

  it("with send_resolved false leaves resolved alerts out, and sends nothing once none fires", () => {
    const body = bodyOf<ArgusBody>(argus({ sendResolved: false }), notice());
    expect(fingerprintsOf(body.data.alerts as { fingerprint: string }[])).toEqual(["fp-a", "fp-b"]);
    expect(notificationBody(argus({ sendResolved: false }), notice({ alerts: [resolved] }))).toBeNull();
  });
});

describe("notificationBody: PagerDuty", () => {
  it("triggers while any alert fires, naming the most severe one and how many fire", () => {
    const event = bodyOf<PagerDutyEvent>(pagerDuty(), notice());

    expect(validatePagerDutyEvent(event)).toEqual([]);
    expect(event).toMatchObject({
      routing_key: routingKey,
      event_action: "trigger",
      dedup_key: pagerDutyGroupDedupKey(groupKey),
      client_url: "https://argus.example.com",
      payload: {
        summary: `[2 firing] ${critical.summary}`,
        severity: "critical",
        source: "argus/acme/credit-risk",
      },
    });
  });

  it("triggers with the alert's own summary when one alert fires", () => {
    const event = bodyOf<PagerDutyEvent>(pagerDuty(), notice({ alerts: [warning, resolved] }));
    expect(event.event_action).toBe("trigger");
    expect(event.payload?.summary).toBe(warning.summary);
    expect(event.payload?.severity).toBe("warning");
    expect(validatePagerDutyEvent(event)).toEqual([]);
  });

  it.each(["new", "firing-changed", "resolved-changed", "repeat", "unacknowledged"] as const)(
    "triggers for reason %s while alerts fire",
    (reason) => {
      expect(bodyOf<PagerDutyEvent>(pagerDuty(), notice({ reason })).event_action).toBe("trigger");
    },
  );

  it("acknowledges when on-call acknowledged the group", () => {
    const event = bodyOf<PagerDutyEvent>(
      pagerDuty(),
      notice({ reason: "acknowledged", acknowledged: new Set(["fp-a", "fp-b"]) }),
    );
    expect(event.event_action).toBe("acknowledge");
    expect(event.dedup_key).toBe(pagerDutyGroupDedupKey(groupKey));
    expect(validatePagerDutyEvent(event)).toEqual([]);
  });

  it("resolves when nothing in the group fires", () => {
    const event = bodyOf<PagerDutyEvent>(pagerDuty(), notice({ alerts: [resolved], reason: "all-resolved" }));
    expect(event.event_action).toBe("resolve");
    expect(event.dedup_key).toBe(pagerDutyGroupDedupKey(groupKey));
    expect(validatePagerDutyEvent(event)).toEqual([]);
  });

  it("resolves rather than acknowledges when nothing fires any more", () => {
    const event = bodyOf<PagerDutyEvent>(pagerDuty(), notice({ alerts: [resolved], reason: "acknowledged" }));
    expect(event.event_action).toBe("resolve");
  });

  it("with send_resolved false sends no resolve, but still triggers while alerts fire", () => {
    expect(
      notificationBody(
        pagerDuty({ sendResolved: false }),
        notice({ alerts: [resolved], reason: "all-resolved" }),
      ),
    ).toBeNull();
    const event = bodyOf<PagerDutyEvent>(pagerDuty({ sendResolved: false }), notice());
    expect(event.event_action).toBe("trigger");
    expect(event.payload?.summary).toBe(`[2 firing] ${critical.summary}`);
  });

  it("sends nothing for a notice without alerts", () => {
    expect(notificationBody(pagerDuty(), notice({ alerts: [] }))).toBeNull();
  });

  it("gives every action on one group the same dedup_key, whatever alert leads", () => {
    const keys = [
      bodyOf<PagerDutyEvent>(pagerDuty(), notice({ alerts: [warning] })),
      bodyOf<PagerDutyEvent>(pagerDuty(), notice({ alerts: [warning, critical] })),
      bodyOf<PagerDutyEvent>(pagerDuty(), notice({ reason: "acknowledged" })),
      bodyOf<PagerDutyEvent>(pagerDuty(), notice({ alerts: [resolved], reason: "all-resolved" })),
    ].map((event) => event.dedup_key);
    expect(new Set(keys)).toEqual(new Set([pagerDutyGroupDedupKey(groupKey)]));
    // A group-wide incident, not one alert's.
    expect(keys).not.toContain(warning.fingerprint);
    expect(keys).not.toContain(critical.fingerprint);
  });

  it("gives different groups different dedup_keys, even with the same alerts", () => {
    const one = bodyOf<PagerDutyEvent>(pagerDuty(), notice());
    const other = bodyOf<PagerDutyEvent>(pagerDuty(), notice({ groupKey: otherGroupKey }));
    expect(one.dedup_key).not.toBe(other.dedup_key);
  });
});

describe("pagerDutyGroupDedupKey", () => {
  it("is the same for the same group key, on every replica and retry", () => {
    expect(pagerDutyGroupDedupKey(groupKey)).toBe(pagerDutyGroupDedupKey(groupKey));
  });

  it("differs between groups and between tenants", () => {
    const keys = [
      pagerDutyGroupDedupKey(groupKey),
      pagerDutyGroupDedupKey(otherGroupKey),
      pagerDutyGroupDedupKey('globex/{}:{alertname="InputViolation",model="credit-risk"}'),
    ];
    expect(new Set(keys).size).toBe(3);
  });

  it("fits PagerDuty's dedup_key limit for any group key", () => {
    for (const key of ["", groupKey, "x".repeat(10_000), "指纹".repeat(1_000)]) {
      expect(pagerDutyGroupDedupKey(key).length).toBeLessThanOrEqual(PAGERDUTY_MAX_DEDUP_KEY_CHARS);
      expect(pagerDutyGroupDedupKey(key).length).toBeGreaterThan(0);
    }
  });
});

describe("notificationBody: Slack", () => {
  it("posts to the configured channel", () => {
    const message = bodyOf<SlackMessage & { channel?: string }>(slack({ channel: "#alerts" }), notice());
    expect(message.channel).toBe("#alerts");
    expect(message.blocks.length).toBeGreaterThan(0);
  });

  it("leaves the channel to the webhook when none is configured", () => {
    expect(bodyOf<SlackMessage>(slack(), notice())).not.toHaveProperty("channel");
  });

  it("titles the message with the group labels, or the receiver when the group has none", () => {
    expect(bodyOf<SlackMessage>(slack(), notice()).text).toBe(
      "[FIRING] model=credit-risk, alertname=InputViolation (2 firing)",
    );
    expect(bodyOf<SlackMessage>(slack(), notice({ groupLabels: {} })).text).toBe(
      "[FIRING] oncall (2 firing)",
    );
  });

  it("lists resolved alerts only with send_resolved", () => {
    expect(bodyOf<SlackMessage>(slack({ sendResolved: true }), notice()).text).toContain(
      "(2 firing, 1 resolved)",
    );
    expect(bodyOf<SlackMessage>(slack({ sendResolved: false }), notice()).text).not.toContain("resolved");
  });

  it("sends nothing when no alert is left to send", () => {
    expect(notificationBody(slack({ sendResolved: false }), notice({ alerts: [resolved] }))).toBeNull();
    expect(notificationBody(slack({ sendResolved: true }), notice({ alerts: [] }))).toBeNull();
    expect(notificationBody(slack({ sendResolved: true }), notice({ alerts: [resolved] }))).not.toBeNull();
  });
});

describe("notificationBody is the same bytes whatever order the alerts arrive in", () => {
  it.each([
    ["webhook (alertmanager)", webhook()],
    ["webhook (argus)", webhook({ payload: "argus" })],
    ["pagerduty", pagerDuty()],
    ["slack", slack({ sendResolved: true })],
  ] as const)("%s", (_name, integration) => {
    const a = notificationBody(integration, notice({ alerts: [warning, critical, resolved] }));
    const b = notificationBody(
      integration,
      notice({ alerts: [resolved, structuredClone(critical), warning], acknowledged: new Set() }),
    );
    expect(a).not.toBeNull();
    expect(b).toBe(a);
  });
});
