import { type Finding, FindingKind, Severity } from "@argus/proto";
import { describe, expect, it } from "vitest";
import { type AlertRecord, applyFinding } from "../../src/domain/alert.js";
import { sampleEventIds } from "../../src/domain/episode.js";
import { groupsFor } from "../../src/domain/grouping.js";
import { parseRoutingConfig } from "../../src/domain/routing/config.js";
import { singleWebhookRoutingYaml, unnotifiedReceiver } from "../../src/domain/routing/default-config.js";
import { findRoute } from "../../src/domain/routing/route.js";
import { alerterNow, finding, t } from "../fixtures.js";

const config = parseRoutingConfig(
  singleWebhookRoutingYaml({
    url: "https://oncall.example.com/hooks/argus",
    signingSecret: `whsec_${Buffer.alloc(32, 7).toString("base64")}`,
    groupWait: "0s",
    groupInterval: "30s",
    repeatInterval: "4h",
    clientGroupWait: "30s",
  }),
  () => {
    throw new Error("the default configuration reads no file");
  },
);

/** Finding `n` of `client`'s prompt-injection attack, as the text scanners publish it (one per event). */
function injection(client: string, n: number): Finding {
  return finding(`pi-${client}-${n}`, {
    kind: FindingKind.FINDING_KIND_PROMPT_INJECTION,
    severity: Severity.SEVERITY_CRITICAL,
    modelId: "chat",
    fingerprint: `fp-prompt-injection-chat-${client}`,
    subject: { feature: "prompt", clientId: client, source: "" },
    summary: `chat: input "prompt" from client ${client} blocked by heuristics`,
    evidence: { verdict: "block", categories: "instruction_override", event_id: `ev-${client}-${n}` },
    labels: {
      alertname: "PromptInjection",
      kind: "prompt_injection",
      model: "chat",
      severity: "critical",
      client,
    },
    sampleEventIds: [`ev-${client}-${n}`],
    observedAt: new Date(t(0).getTime() + n * 1_000),
  });
}

function outlier(n: number): Finding {
  return finding(`outlier-${n}`, {
    kind: FindingKind.FINDING_KIND_OUTLIER,
    severity: Severity.SEVERITY_INFO,
    fingerprint: "fp-outlier-credit-risk",
    labels: { alertname: "InputOutliers", kind: "outlier", model: "credit-risk", severity: "info" },
    evidence: { event_id: `ev-benign-${n}` },
    observedAt: t(n),
  });
}

/**
 * Feeds `findings` to their alerts as the findings handler does; returns the alerts and the groups
 * each episode start joined (what a notification is made for).
 */
function feed(findings: Finding[]) {
  const alerts = new Map<string, AlertRecord>();
  const joined: ReturnType<typeof groupsFor> = [];
  for (const f of findings) {
    const applied = applyFinding(alerts.get(f.fingerprint), f, alerterNow);
    if (!applied) continue;
    alerts.set(f.fingerprint, applied.alert);
    if (applied.transition === "firing") joined.push(...groupsFor(config, applied.alert));
  }
  return { alerts: [...alerts.values()], joined };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("the default routing (ALERTER_WEBHOOK_URL without a file)", () => {
  it("gives each attacking client its own alert and group, named by kind, model and client", () => {
    const { alerts, joined } = feed(range(1, 50).flatMap((n) => [injection("c-a", n), injection("c-b", n)]));

    expect(alerts).toHaveLength(2);
    expect(joined.map((group) => group.groupLabels)).toEqual([
      { kind: "prompt_injection", model: "chat", client: "c-a" },
      { kind: "prompt_injection", model: "chat", client: "c-b" },
    ]);
    expect(new Set(joined.map((group) => group.gid)).size).toBe(2);
    expect(joined.every((group) => group.receiver === "default")).toBe(true);
    // The first notification waits for the burst, so that it counts more than the first event.
    expect(findRoute(config.route, joined[0]?.routeKey ?? "")?.groupWaitMs).toBe(30_000);
  });

  it("makes 700 findings of one client one alert: count 700, first and last seen, at most 20 sample events", () => {
    const { alerts, joined } = feed(range(1, 700).map((n) => injection("c-a", n)));

    expect(joined).toHaveLength(1);
    const [alert] = alerts;
    expect(alert?.findingCount).toBe(700);
    expect(alert?.episode.firstSeenAt).toBe(new Date(t(0).getTime() + 1_000).toISOString());
    expect(alert?.episode.lastSeenAt).toBe(new Date(t(0).getTime() + 700_000).toISOString());
    expect(alert?.episode.categories).toEqual(["instruction_override"]);
    const samples = alert ? sampleEventIds(alert.episode) : [];
    expect(samples).toHaveLength(20);
    expect(samples.slice(0, 2)).toEqual(["ev-c-a-1", "ev-c-a-2"]);
    expect(samples.at(-1)).toBe("ev-c-a-700");
  });

  it("tells no one about info alerts, whatever labels they carry; the alert itself is kept", () => {
    const { alerts, joined } = feed([outlier(1), outlier(2), outlier(3)]);

    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.findingCount).toBe(3);
    expect(joined.map((group) => group.receiver)).toEqual([unnotifiedReceiver]);
    expect(config.receivers.get(unnotifiedReceiver)?.integrations).toEqual([]);

    const infoAboutClient = groupsFor(config, {
      tenant: "acme",
      fingerprint: "fp-info-client",
      labels: { kind: "rate_abuse", model: "chat", severity: "info", client: "c-a" },
    });
    expect(infoAboutClient.map((group) => group.receiver)).toEqual([unnotifiedReceiver]);
  });

  it("groups drift per model: one group for every drifted signal of a model, none shared across models", () => {
    const drift = (model: string, feature: string, severity = "warning") =>
      groupsFor(config, {
        tenant: "acme",
        fingerprint: `fp-drift-${model}-${feature}`,
        labels: { alertname: "DataDrift", kind: "drift", model, feature, severity, tenant: "acme" },
      });

    const signals = ["age", "age#quality", "__prediction__", "__multivariate__", "__dataset__"];
    const groups = signals.map((feature) =>
      only(drift("credit-risk", feature, feature === "__dataset__" ? "critical" : "warning")),
    );
    expect(new Set(groups.map((group) => group.gid)).size).toBe(1);
    expect(groups[0]?.groupLabels).toEqual({ model: "credit-risk" });
    expect(groups[0]?.receiver).toBe("default");
    expect(only(drift("fraud", "age")).gid).not.toBe(groups[0]?.gid);

    const route = findRoute(config.route, groups[0]?.routeKey ?? "");
    expect(route?.groupWaitMs).toBe(60_000);
    expect(route?.groupIntervalMs).toBe(30 * 60_000);
  });

  it("keeps a model's performance drift (critical, from labels) on its own, not waiting for the drift group", () => {
    const performance = only(
      groupsFor(config, {
        tenant: "acme",
        fingerprint: "fp-performance",
        labels: {
          alertname: "ModelPerformanceDrift",
          kind: "drift",
          model: "credit-risk",
          feature: "__performance__",
          severity: "critical",
        },
      }),
    );
    expect(performance.groupKey).toContain("fp-performance");
    expect(findRoute(config.route, performance.routeKey)?.groupWaitMs).toBe(0);
  });

  it("notifies every other alert on its own through the webhook", () => {
    const violation = (fingerprint: string) =>
      groupsFor(config, {
        tenant: "acme",
        fingerprint,
        labels: {
          alertname: "InputViolation",
          kind: "input_violation",
          model: "credit-risk",
          severity: "warning",
        },
      });

    const [first] = violation("fp-violation-age");
    const [second] = violation("fp-violation-income");
    expect(first?.receiver).toBe("default");
    expect(config.receivers.get("default")?.integrations).toMatchObject([
      { type: "webhook", payload: "argus", url: "https://oncall.example.com/hooks/argus" },
    ]);
    expect(first?.gid).not.toBe(second?.gid);
  });
});

function only<T>(items: T[]): T {
  if (items.length !== 1) throw new Error(`expected one group, got ${items.length}`);
  return items[0] as T;
}
