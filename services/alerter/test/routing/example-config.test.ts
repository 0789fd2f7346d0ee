import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { groupsFor } from "../../src/domain/grouping.js";
import { parseRoutingConfig } from "../../src/domain/routing/config.js";
import { findRoute } from "../../src/domain/routing/route.js";

const examplePath = new URL("../../../../deploy/local/alerter.example.yaml", import.meta.url);

/** The documented example must stay a valid configuration that routes as docs/alerter.md says. */
describe("deploy/local/alerter.example.yaml", () => {
  const secrets: Record<string, string> = {
    "/etc/argus/secrets/oncall-webhook-url": "https://oncall.example.com/hooks/argus\n",
    "/etc/argus/secrets/webhook-signing-secrets": `# current, then the one being retired\nwhsec_${Buffer.alloc(32, 1).toString("base64")}\nwhsec_${Buffer.alloc(32, 2).toString("base64")}\n`,
    "/etc/argus/secrets/pagerduty-routing-key": "R0UT1NGKEY\n",
    "/etc/argus/secrets/slack-webhook-url": "https://hooks.slack.com/services/T/B/X\n",
  };
  const config = parseRoutingConfig(readFileSync(examplePath, "utf8"), (path) => {
    const text = secrets[path];
    if (text === undefined) throw new Error(`unexpected file ${path}`);
    return text;
  });
  const receiversOf = (labels: Record<string, string>) =>
    groupsFor(config, { tenant: "acme", labels, fingerprint: "fp" }).map((group) => group.receiver);

  it("parses, with secrets from files and two signing secrets for rotation", () => {
    const webhook = config.receivers.get("oncall-webhook")?.integrations[0];
    expect(webhook).toMatchObject({
      type: "webhook",
      payload: "alertmanager",
      url: "https://oncall.example.com/hooks/argus",
    });
    expect(webhook?.type === "webhook" && webhook.signingSecrets).toHaveLength(2);
    expect(config.receivers.get("pager")?.integrations[0]).toMatchObject({
      type: "pagerduty",
      routingKey: "R0UT1NGKEY",
    });
    expect(config.resolveTimeoutsByKind.drift).toBe(2 * 3_600_000);
  });

  it("pages critical alerts, sends alerts about a client to the security team (critical ones to both), the rest to the default", () => {
    // The root's receiver is the fallback: a matching child (even one that continues) replaces it.
    // Critical drift of the data (e.g. the dataset verdict) pages and is listed in the model's drift incident.
    expect(receiversOf({ severity: "critical", model: "m", kind: "drift" })).toEqual([
      "pager",
      "oncall-webhook",
    ]);
    expect(
      receiversOf({ alertname: "ModelPerformanceDrift", severity: "critical", model: "m", kind: "drift" }),
    ).toEqual(["pager"]);
    expect(receiversOf({ severity: "critical", model: "m", kind: "extraction", client: "c1" })).toEqual([
      "pager",
      "security-team",
    ]);
    for (const kind of ["extraction", "prompt_injection", "data_leakage", "rate_abuse"])
      expect(receiversOf({ severity: "warning", model: "m", kind, client: "c1" })).toEqual(["security-team"]);
    expect(receiversOf({ severity: "warning", model: "m", kind: "drift" })).toEqual(["oncall-webhook"]);
    expect(receiversOf({ alertname: "ArgusReceiverDisabled", severity: "critical" })).toEqual([
      "platform-slack",
    ]);
  });

  it("groups drift per model like the default configuration, and sends every drifted feature", () => {
    const driftGroup = (feature: string) =>
      groupsFor(config, {
        tenant: "acme",
        labels: { alertname: "DataDrift", severity: "warning", model: "m", kind: "drift", feature },
        fingerprint: `fp-${feature}`,
      });
    const [age] = driftGroup("age");
    expect(driftGroup("income")).toEqual([age]);
    expect(age?.groupLabels).toEqual({ model: "m" });
    const webhook = config.receivers.get("oncall-webhook")?.integrations[0];
    expect(webhook?.type === "webhook" && webhook.maxAlerts).toBe(0);
    // The dataset verdict pages on the drift timers too: at most 3 pages an hour per model.
    const paged = groupsFor(config, {
      tenant: "acme",
      labels: {
        alertname: "DataDrift",
        severity: "critical",
        model: "m",
        kind: "drift",
        feature: "__dataset__",
      },
      fingerprint: "fp-dataset",
    });
    expect(paged.map((group) => group.receiver)).toEqual(["pager", "oncall-webhook"]);
    expect(paged.map((group) => findRoute(config.route, group.routeKey)?.groupIntervalMs)).toEqual([
      1_800_000, 1_800_000,
    ]);
    expect(paged[1]?.gid).toBe(age?.gid);
  });

  it("notifies no one of info alerts, and groups alerts about a client per kind, model and client", () => {
    expect(receiversOf({ severity: "info", model: "m", kind: "outlier" })).toEqual(["unnotified"]);
    expect(config.receivers.get("unnotified")?.integrations).toEqual([]);

    const securityGroup = (client: string) =>
      groupsFor(config, {
        tenant: "acme",
        labels: { severity: "warning", model: "m", kind: "prompt_injection", client },
        fingerprint: `fp-${client}`,
      })[0]?.groupLabels;
    expect(securityGroup("c1")).toEqual({ kind: "prompt_injection", model: "m", client: "c1" });
    expect(securityGroup("c2")).toEqual({ kind: "prompt_injection", model: "m", client: "c2" });
  });
});
