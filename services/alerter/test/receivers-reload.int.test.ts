import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AcknowledgeRequest,
  type AcknowledgeResponse,
  AlertState,
  type ListAlertsRequest,
  type ListAlertsResponse,
  type ReloadConfigRequest,
  type ReloadConfigResponse,
  type TestReceiverRequest,
  type TestReceiverResponse,
} from "@argus/proto";
import { type ReceivedWebhook, rejection, startWebhookReceiver, type WebhookReceiver } from "@argus/testkit";
import { status } from "@grpc/grpc-js";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type AlertmanagerPayload,
  validateAlertmanagerPayload,
  ZERO_TIME,
} from "../src/domain/receivers/alertmanager.js";
import { type PagerDutyEvent, validatePagerDutyEvent } from "../src/domain/receivers/pagerduty.js";
import type { SlackMessage } from "../src/domain/receivers/slack.js";
import {
  type AlerterHarness,
  type ArgusBody,
  eventually,
  findingOf,
  signingSecret,
  startAlerterHarness,
} from "./harness.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Longer than a group_interval plus the flusher's and the outbox's polls: what "nothing came" waits. */
const quietMs = 1_800;
const routingKey = "R0123456789abcdef0123456789abcde"; // 32 characters, like an integration key
const externalUrl = "https://argus.example.com";

// The harness's local receivers, by index (all verify the harness's signingSecret).
const FALLBACK = 0;
const AM = 1;
const PD = 2;
const CHAT = 3;
const BEFORE = 4;
const AFTER = 5;
const THIRD = 6;
const MULTI_ARGUS = 7;
const MULTI_AM = 8;
const MULTI_PD = 9;
const MULTI_SLACK = 10;
const HANDOVER_BEFORE = 11;
const HANDOVER_AFTER = 12;
const receiverCount = 13;

/** Key rotation: each of the "rotating" receiver's webhooks signs with the old and the new secret. */
const oldSecret = `whsec_${randomBytes(32).toString("base64")}`;
const newSecret = `whsec_${randomBytes(32).toString("base64")}`;

interface RoutingState {
  /** Receiver of the route for model="reload". */
  reload: "before" | "after" | "third";
  /** Receiver of the route for model="handover". */
  handover: "h-before" | "h-after";
  /** Adds a route and an (empty) receiver, so counts change. */
  spare?: boolean;
  /** Adds a route to a receiver that does not exist. */
  broken?: boolean;
}

describe("receivers (Alertmanager, PagerDuty, Slack), key rotation, ReloadConfig and TestReceiver", () => {
  let h: AlerterHarness;
  let rotOld: WebhookReceiver;
  let rotNew: WebhookReceiver;
  let urls: string[] = [];
  let newSecretFile = "";

  /** Child routes of the root, in order; their count is what ReloadConfig reports (plus the root). */
  const childRoutes = (state: RoutingState): string[] => [
    `{ matchers: ['model="fanout"'], receiver: am, continue: true }`,
    `{ matchers: ['severity="critical"'], receiver: pd, continue: true }`,
    `{ matchers: ['team="ml"'], receiver: chat }`,
    `{ matchers: ['model="rotation"'], receiver: rotating }`,
    `{ matchers: ['model="reload"'], receiver: ${state.reload} }`,
    `{ matchers: ['model="handover"'], receiver: ${state.handover} }`,
    ...(state.spare ? [`{ matchers: ['model="spare"'], receiver: spare }`] : []),
    ...(state.broken ? [`{ matchers: ['model="broken"'], receiver: nobody }`] : []),
  ];
  const argusHook = (index: number) => `
      - url: ${urls[index]}
        payload: argus
        signing_secrets: ["${signingSecret}"]`;
  const receiverNames = (state: RoutingState): string[] => [
    ...["fallback", "am", "pd", "chat", "rotating", "before", "after", "third", "multi"],
    ...["h-before", "h-after", ...(state.spare ? ["spare"] : [])],
  ];
  const yamlOf = (state: RoutingState): string => `
global:
  external_url: ${externalUrl}
route:
  receiver: fallback
  group_by: [model]
  # Long enough that alerts published together (on different partitions) meet in the first flush
  # even on a loaded machine.
  group_wait: 2500ms
  group_interval: 1s
  repeat_interval: 1h
  routes:
${childRoutes(state)
  .map((route) => `    - ${route}`)
  .join("\n")}
receivers:
  - name: fallback
    webhook_configs:${argusHook(FALLBACK)}
  - name: am
    webhook_configs:
      - url: ${urls[AM]}
        payload: alertmanager
        max_alerts: 1
        signing_secrets: ["${signingSecret}"]
  - name: pd
    pagerduty_configs:
      - url: ${urls[PD]}
        routing_key: ${routingKey}
        signing_secrets: ["${signingSecret}"]
  - name: chat
    slack_configs:
      - api_url: ${urls[CHAT]}
        channel: "#ml-alerts"
        send_resolved: false
  - name: rotating
    webhook_configs:
      - url: ${rotOld.url}
        payload: argus
        signing_secrets: ["${oldSecret}", "${newSecret}"]
      - url: ${rotNew.url}
        payload: argus
        signing_secrets: ["${oldSecret}"]
        signing_secrets_file: ${newSecretFile}
  - name: before
    webhook_configs:${argusHook(BEFORE)}
  - name: after
    webhook_configs:${argusHook(AFTER)}
  - name: third
    webhook_configs:${argusHook(THIRD)}
  - name: multi
    webhook_configs:${argusHook(MULTI_ARGUS)}
      - url: ${urls[MULTI_AM]}
        payload: alertmanager
        signing_secrets: ["${signingSecret}"]
    pagerduty_configs:
      - url: ${urls[MULTI_PD]}
        routing_key: ${routingKey}
        signing_secrets: ["${signingSecret}"]
    slack_configs:
      - api_url: ${urls[MULTI_SLACK]}
  - name: h-before
    webhook_configs:${argusHook(HANDOVER_BEFORE)}
  - name: h-after
    webhook_configs:${argusHook(HANDOVER_AFTER)}
${state.spare ? "  - name: spare\n" : ""}`;

  let routing: RoutingState = { reload: "before", handover: "h-before" };
  /** Writes the routing file for `state` and returns its text (whose sha256 ReloadConfig reports). */
  const writeRouting = (state: RoutingState): string => {
    const text = yamlOf(state);
    writeFileSync(h.configPath, text);
    if (!state.broken) routing = state;
    return text;
  };
  const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

  beforeAll(async () => {
    rotOld = await startWebhookReceiver(oldSecret);
    rotNew = await startWebhookReceiver(newSecret);
    newSecretFile = join(mkdtempSync(join(tmpdir(), "argus-alerter-secrets-")), "signing-secrets");
    writeFileSync(newSecretFile, `# rotated in today\n${newSecret}\n`);
    h = await startAlerterHarness(
      { kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") },
      {
        receivers: receiverCount,
        yaml: (receiverUrls) => {
          urls = receiverUrls;
          return yamlOf(routing);
        },
      },
    );
    // Slack requests are not signed, so the harness's receivers would refuse them (401): answer 204.
    for (const index of [CHAT, MULTI_SLACK]) receiver(index).failNext(Array(50).fill({ status: 204 }));
  });

  afterAll(async () => {
    await h?.stop();
    await rotOld?.close();
    await rotNew?.close();
  });

  const receiver = (index: number): WebhookReceiver => {
    const found = h.receivers[index];
    if (!found) throw new Error(`no receiver ${index}`);
    return found;
  };
  /** Every request a receiver got, whatever its signature and answer. */
  const requests = (index: number): ReceivedWebhook[] => receiver(index).received;
  const bodies = <T>(index: number): T[] => requests(index).map((w) => w.body as T);
  const waitForRequests = (index: number, count: number, timeoutMs = 10_000) =>
    eventually(
      () => requests(index),
      (r) => r.length >= count,
      timeoutMs,
      (r) => `${count} requests at receiver ${index}, have ${JSON.stringify(r.map((w) => w.body))}`,
    );
  const argusFingerprints = (w: ReceivedWebhook) =>
    (w.body as ArgusBody).data.alerts.map((a) => a.fingerprint).sort();
  // The generated client's methods are overloaded, so their request and response types are spelled out.
  const api = {
    acknowledge: (req: AcknowledgeRequest, token: string) =>
      h.call<AcknowledgeRequest, AcknowledgeResponse>(h.client.acknowledge, req, token),
    listAlerts: (token: string) =>
      h.call<ListAlertsRequest, ListAlertsResponse>(
        h.client.listAlerts,
        { state: AlertState.ALERT_STATE_UNSPECIFIED, modelId: "", pageSize: 0, pageToken: "", matchers: [] },
        token,
      ),
    reloadConfig: (token: string) =>
      h.call<ReloadConfigRequest, ReloadConfigResponse>(h.client.reloadConfig, {}, token),
    testReceiver: (name: string, token: string) =>
      h.call<TestReceiverRequest, TestReceiverResponse>(h.client.testReceiver, { receiver: name }, token),
  };

  it("fans one alert group out to an Alertmanager webhook, PagerDuty and Slack; PagerDuty follows acknowledge and resolve", async () => {
    const labels = (feature: string, extra: Record<string, string> = {}) => ({
      alertname: "Drift",
      model: "fanout",
      feature,
      severity: "warning",
      ...extra,
    });
    // fan-a goes to all three children (continue: true); fan-b and fan-c only to the Alertmanager webhook.
    await h.publish(
      findingOf("a-1", "fan-a", labels("age", { severity: "critical", team: "ml" })),
      findingOf("b-1", "fan-b", labels("income")),
      findingOf("c-1", "fan-c", labels("tenure")),
    );

    // Alertmanager webhook (v4), max_alerts 1: one alert, the other two counted as truncated.
    const [amFiring] = await waitForRequests(AM, 1);
    const am = amFiring?.body as AlertmanagerPayload;
    expect(validateAlertmanagerPayload(am)).toEqual([]);
    expect(amFiring?.verified, amFiring?.verifyError).toBe(true);
    expect(am).toMatchObject({
      version: "4",
      receiver: "am",
      status: "firing",
      groupKey: 'acme/{}/{model="fanout"}:{model="fanout"}',
      groupLabels: { model: "fanout" },
      truncatedAlerts: 2,
      externalURL: externalUrl,
    });
    // Common labels are those of all three alerts, not of the one kept after truncation.
    expect(am.commonLabels).toEqual({ alertname: "Drift", model: "fanout" });
    expect(am.alerts).toHaveLength(1);
    expect(am.alerts[0]).toMatchObject({
      fingerprint: "fan-a",
      status: "firing",
      endsAt: ZERO_TIME,
      labels: labels("age", { severity: "critical", team: "ml" }),
      annotations: { summary: "fan-a (a-1)" },
    });

    // PagerDuty: a trigger for fan-a's group.
    const [pdTrigger] = await waitForRequests(PD, 1);
    const trigger = pdTrigger?.body as PagerDutyEvent;
    expect(validatePagerDutyEvent(trigger)).toEqual([]);
    expect(trigger).toMatchObject({
      routing_key: routingKey,
      event_action: "trigger",
      payload: { summary: "fan-a (a-1)", severity: "critical", source: "argus/acme/fanout" },
    });
    const dedupKey = trigger.dedup_key;
    expect(dedupKey).toEqual(expect.any(String));
    expect(dedupKey.length).toBeGreaterThan(0);

    // Slack: one message for fan-a's group, to the configured channel.
    const [chatFiring] = await waitForRequests(CHAT, 1);
    const message = chatFiring?.body as SlackMessage & { channel?: string };
    expect(message.channel).toBe("#ml-alerts");
    expect(message.text).toBe("[FIRING] model=fanout (1 firing)");
    expect(message.blocks.filter((block) => block.type === "section")).toHaveLength(1);
    expect(JSON.stringify(message.blocks)).toContain("fan-a (a-1)");

    // On-call acknowledges fan-a: PagerDuty hears "acknowledge" for the same incident; receivers that
    // cannot show acknowledgement hear nothing.
    await api.acknowledge({ fingerprint: "fan-a", note: "looking into it" }, h.acme.operator.token);
    const pdAck = (await waitForRequests(PD, 2))[1]?.body as PagerDutyEvent;
    expect(validatePagerDutyEvent(pdAck)).toEqual([]);
    expect(pdAck).toMatchObject({
      routing_key: routingKey,
      event_action: "acknowledge",
      dedup_key: dedupKey,
    });
    await sleep(quietMs);
    expect(requests(AM)).toHaveLength(1);
    expect(requests(CHAT)).toHaveLength(1);
    expect(requests(PD)).toHaveLength(2);

    // fan-a resolves: PagerDuty resolves the same incident; the Alertmanager webhook (send_resolved
    // on by default) reports it resolved; Slack (send_resolved: false) says nothing.
    await h.publish(
      findingOf("a-2", "fan-a", labels("age", { severity: "critical", team: "ml" }), { resolved: true }),
    );
    const pdResolve = (await waitForRequests(PD, 3))[2]?.body as PagerDutyEvent;
    expect(validatePagerDutyEvent(pdResolve)).toEqual([]);
    expect(pdResolve).toMatchObject({
      routing_key: routingKey,
      event_action: "resolve",
      dedup_key: dedupKey,
    });
    const amResolved = (await waitForRequests(AM, 2))[1];
    const amAfter = amResolved?.body as AlertmanagerPayload;
    expect(validateAlertmanagerPayload(amAfter)).toEqual([]);
    expect(amResolved?.verified, amResolved?.verifyError).toBe(true);
    expect(amAfter).toMatchObject({ status: "firing", truncatedAlerts: 2, groupKey: am.groupKey });
    expect(amAfter.alerts[0]).toMatchObject({ fingerprint: "fan-a", status: "resolved" });
    expect(amAfter.alerts[0]?.endsAt).not.toBe(ZERO_TIME);
    await sleep(quietMs);
    expect(requests(CHAT)).toHaveLength(1);
    expect(requests(PD)).toHaveLength(3);
    expect(requests(AM)).toHaveLength(2);
    // The children took every alert: the root's receiver got nothing.
    expect(requests(FALLBACK)).toEqual([]);

    // fan-a fires again: a new episode, paged anew. Its webhook-id is new too: Standard Webhooks
    // receivers drop a webhook-id they have seen as a redelivery.
    await h.publish(findingOf("a-3", "fan-a", labels("age", { severity: "critical", team: "ml" })));
    const retrigger = (await waitForRequests(PD, 4))[3];
    expect(retrigger?.body).toMatchObject({ routing_key: routingKey, event_action: "trigger" });
    expect(requests(PD).map((w) => w.id)).toEqual([...new Set(requests(PD).map((w) => w.id))]);
    const chatAgain = (await waitForRequests(CHAT, 2))[1];
    expect((chatAgain?.body as SlackMessage | undefined)?.text).toBe("[FIRING] model=fanout (1 firing)");
    expect(chatAgain?.id).not.toBe(chatFiring?.id);
  });

  it("signs with every configured secret, so a receiver holding only the old or only the new one verifies", async () => {
    await h.publish(findingOf("rot-1", "rotation-a", { alertname: "Drift", model: "rotation" }));
    const [toOld] = await eventually(
      () => rotOld.received,
      (r) => r.length >= 1,
      10_000,
    );
    const [toNew] = await eventually(
      () => rotNew.received,
      (r) => r.length >= 1,
      10_000,
    );
    if (!toOld || !toNew) throw new Error("no request");
    // Each receiver checked the signature over the raw bytes with its one secret.
    expect(toOld.verified, toOld.verifyError).toBe(true);
    expect(toNew.verified, toNew.verifyError).toBe(true);
    expect(argusFingerprints(toOld)).toEqual(["rotation-a"]);
    expect(argusFingerprints(toNew)).toEqual(["rotation-a"]);
    // And each request verifies with the other secret too (the body is JSON.stringify output, so
    // parse-then-stringify gives back its exact bytes), while an unrelated secret does not.
    for (const request of [toOld, toNew]) {
      const raw = JSON.stringify(request.body);
      expect(request.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
      expect(() => new Webhook(oldSecret).verify(raw, request.headers)).not.toThrow();
      expect(() => new Webhook(newSecret).verify(raw, request.headers)).not.toThrow();
      expect(() => new Webhook(signingSecret).verify(raw, request.headers)).toThrow();
    }
  });

  it("TestReceiver sends to every integration of a receiver and reports each outcome", async () => {
    const before = [MULTI_ARGUS, MULTI_AM, MULTI_PD, MULTI_SLACK].map((index) => requests(index).length);
    const { results } = await api.testReceiver("multi", h.acme.operator.token);
    expect(results).toEqual([
      { integration: "multi/webhook[0]", delivered: true, httpStatus: 204, error: "" },
      { integration: "multi/webhook[1]", delivered: true, httpStatus: 204, error: "" },
      { integration: "multi/pagerduty[2]", delivered: true, httpStatus: 204, error: "" },
      { integration: "multi/slack[3]", delivered: true, httpStatus: 204, error: "" },
    ]);
    // Each integration got one request now, in its own format.
    expect([MULTI_ARGUS, MULTI_AM, MULTI_PD, MULTI_SLACK].map((index) => requests(index).length)).toEqual(
      before.map((count) => count + 1),
    );
    const argus = requests(MULTI_ARGUS).at(-1);
    expect(argus?.verified, argus?.verifyError).toBe(true);
    expect(argus?.body).toMatchObject({
      type: "alert.test",
      data: { receiver: "multi", alerts: [{ fingerprint: "argus-test-notification", tenant: "acme" }] },
    });
    const am = requests(MULTI_AM).at(-1);
    expect(am?.verified, am?.verifyError).toBe(true);
    expect(validateAlertmanagerPayload(am?.body)).toEqual([]);
    expect(am?.body).toMatchObject({ receiver: "multi", status: "firing" });
    const pd = requests(MULTI_PD).at(-1)?.body;
    expect(validatePagerDutyEvent(pd)).toEqual([]);
    expect(pd).toMatchObject({ routing_key: routingKey, event_action: "trigger" });
    expect((requests(MULTI_SLACK).at(-1)?.body as SlackMessage | undefined)?.text).toContain("FIRING");

    // A failing integration is reported as such, the others still as delivered.
    receiver(MULTI_AM).failNext([{ status: 503 }]);
    const second = await api.testReceiver("multi", h.acme.operator.token);
    expect(second.results.map((r) => [r.integration, r.delivered, r.httpStatus])).toEqual([
      ["multi/webhook[0]", true, 204],
      ["multi/webhook[1]", false, 503],
      ["multi/pagerduty[2]", true, 204],
      ["multi/slack[3]", true, 204],
    ]);
    expect(second.results[1]?.error).toContain("503");

    const unknown = await rejection(api.testReceiver("nobody", h.acme.operator.token));
    expect(unknown.code).toBe(status.NOT_FOUND);
    expect(unknown.details).toContain("nobody");
    const viewer = await rejection(api.testReceiver("multi", h.acme.viewer.token));
    expect(viewer.code).toBe(status.PERMISSION_DENIED);
  });

  it("ReloadConfig and SIGHUP switch routing without losing state; a broken file keeps the running configuration", async () => {
    const reloadLabels = { alertname: "Drift", model: "reload" };
    const mentions = (index: number, fingerprint: string) =>
      requests(index).filter((w) => argusFingerprints(w).includes(fingerprint));
    const waitForMention = (index: number, fingerprint: string) =>
      eventually(
        () => mentions(index, fingerprint),
        (m) => m.length >= 1,
        10_000,
        () => `receiver ${index} to hear of ${fingerprint}; requests: ${JSON.stringify(bodies(index))}`,
      );

    await h.publish(findingOf("r-1", "reload-1", reloadLabels));
    await waitForMention(BEFORE, "reload-1");
    const initialHash = sha256(yamlOf(routing));

    // Reloading is an admin's business.
    const denied = await rejection(api.reloadConfig(h.acme.operator.token));
    expect(denied.code).toBe(status.PERMISSION_DENIED);

    // The route for model="reload" now goes to "after"; a route and a receiver are added.
    const next: RoutingState = { ...routing, reload: "after", spare: true };
    const nextText = writeRouting(next);
    const reloaded = await api.reloadConfig(h.acme.admin.token);
    expect(reloaded.configHash).toBe(sha256(nextText));
    expect(reloaded.configHash).not.toBe(initialHash);
    expect(reloaded.routes).toBe(childRoutes(next).length + 1);
    expect(reloaded.receivers).toBe(receiverNames(next).length);

    const beforeCount = requests(BEFORE).length;
    await h.publish(findingOf("r-2", "reload-2", reloadLabels));
    await waitForMention(AFTER, "reload-2");
    // State survived the reload: the earlier alerts are still listed.
    const listed = (await api.listAlerts(h.acme.viewer.token)).alerts.map((a) => a.fingerprint);
    expect(listed).toEqual(expect.arrayContaining(["reload-1", "reload-2", "fan-a", "fan-b", "rotation-a"]));

    // A route to a receiver that does not exist: refused, naming the problem; the running one stays.
    writeRouting({ ...routing, broken: true });
    const broken = await rejection(api.reloadConfig(h.acme.admin.token));
    expect(broken.code).toBe(status.FAILED_PRECONDITION);
    expect(broken.details).toContain(`route.routes[${childRoutes(next).length}].receiver`);
    expect(broken.details).toContain('no receiver named "nobody"');
    await h.publish(findingOf("r-3", "reload-3", reloadLabels));
    await waitForMention(AFTER, "reload-3");

    // SIGHUP reloads the file too: model="reload" now goes to "third".
    writeRouting({ ...routing, reload: "third" });
    process.emit("SIGHUP");
    await sleep(300);
    await h.publish(findingOf("r-4", "reload-4", reloadLabels));
    await waitForMention(THIRD, "reload-4");

    await sleep(quietMs);
    expect(mentions(AFTER, "reload-4")).toEqual([]);
    // "before" heard nothing after the first reload.
    expect(requests(BEFORE)).toHaveLength(beforeCount);
    expect(requests(FALLBACK)).toEqual([]);
  });

  it("a receiver that takes over a route on reload is told of the alerts already firing there", async () => {
    await h.publish(findingOf("h-1", "handover-1", { alertname: "Drift", model: "handover" }));
    await waitForRequests(HANDOVER_BEFORE, 1);
    writeRouting({ ...routing, handover: "h-after" });
    await api.reloadConfig(h.acme.admin.token);
    // As in Alertmanager, whose notification log is kept per receiver: the new receiver has never
    // been told of handover-1, so the group's next flush tells it.
    const [told] = await waitForRequests(HANDOVER_AFTER, 1, 6_000);
    if (!told) throw new Error("no request");
    expect(told.verified, told.verifyError).toBe(true);
    expect(argusFingerprints(told)).toEqual(["handover-1"]);
    expect((told.body as ArgusBody).data.reason).toBe("new");
    expect(requests(HANDOVER_BEFORE)).toHaveLength(1);
  });
});
