import { randomBytes } from "node:crypto";
import { AlertServiceClient, AlertState, Finding, type ListAlertsResponse } from "@argus/proto";
import { loadConfig, type RunningService } from "@argus/runtime";
import {
  apiKeysJson,
  isolatedServiceEnv,
  makePrincipals,
  startWebhookReceiver,
  testProducer,
  uniqueNamespace,
  type WebhookReceiver,
} from "@argus/testkit";
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { alerterConfigSchema, startAlerter } from "../src/index.js";
import { finding as fixtureFinding } from "./fixtures.js";

const secret = `whsec_${randomBytes(32).toString("base64")}`;
const principals = makePrincipals("acme");
const otherTenant = makePrincipals("globex");

function finding(id: string, fingerprint: string): Finding {
  return fixtureFinding(id, { fingerprint, observedAt: new Date() });
}

function listAlerts(client: AlertServiceClient, token: string | undefined): Promise<ListAlertsResponse> {
  const metadata = new Metadata();
  if (token) metadata.set("authorization", `Bearer ${token}`);
  return new Promise((resolve, reject) =>
    client.listAlerts(
      { state: AlertState.ALERT_STATE_UNSPECIFIED, modelId: "", pageSize: 0, pageToken: "", matchers: [] },
      metadata,
      (error, response) => (error ? reject(error) : resolve(response)),
    ),
  );
}

describe("alerter on real Kafka and Redis", () => {
  const namespace = uniqueNamespace("alerter");
  const brokers = inject("kafkaBrokers");
  let alerter: RunningService;
  let receiver: WebhookReceiver;
  let producer: Producer;
  let client: AlertServiceClient;

  const publish = (...findings: Finding[]) =>
    producer.send({
      topic: `${namespace}.argus.findings.v1`,
      messages: findings.map((f) => ({ key: f.fingerprint, value: Buffer.from(Finding.encode(f).finish()) })),
    });

  beforeAll(async () => {
    receiver = await startWebhookReceiver(secret);
    const env = isolatedServiceEnv({ kafkaBrokers: brokers, redisUrl: inject("redisUrl") }, namespace, {
      ALERTER_WEBHOOK_URL: receiver.url,
      ALERTER_WEBHOOK_SECRET: secret,
      // The test receiver listens on loopback, which the alerter refuses unless allowlisted.
      ALERTER_EGRESS_ALLOW: "127.0.0.1/32",
      ALERTER_RETRY_INITIAL_MS: "100",
      ARGUS_API_KEYS: apiKeysJson([principals.viewer, principals.ingest, otherTenant.viewer]),
    });
    alerter = await startAlerter(loadConfig(alerterConfigSchema, env));
    producer = await testProducer(brokers);
    client = new AlertServiceClient(`127.0.0.1:${alerter.grpcPort}`, credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await producer?.disconnect();
    await alerter?.stop();
    await receiver?.close();
  });

  it("turns a finding into one signed webhook, ignores its replay, and lists the alert over gRPC", async () => {
    await publish(finding("f-1", "fp-age"));
    const [first] = await receiver.waitFor(1, 30_000);
    expect(first?.verified).toBe(true);
    expect(first?.body).toMatchObject({
      type: "alert.firing",
      data: { alerts: [{ fingerprint: "fp-age", model: "credit-risk" }] },
    });

    // The same finding again (a detector replaying its input) and a new finding on the same alert:
    // neither opens a new episode, so on-call hears nothing more.
    await publish(finding("f-1", "fp-age"), finding("f-2", "fp-age"));
    const listed = await waitForAlert(client, principals.viewer.token, (alert) => alert.findingCount === 2);
    expect(listed.state).toBe(AlertState.ALERT_STATE_FIRING);
    expect(receiver.received.filter((w) => w.verified && w.answered < 300)).toHaveLength(1);
  });

  it("retries a failing receiver and delivers once, with the same webhook-id on every attempt", async () => {
    receiver.failNext([{ status: 503 }, { status: 500 }]);
    const before = receiver.received.length;
    await publish(finding("f-3", "fp-income"));
    const attempts = await waitForCount(receiver, before + 3);
    const ids = new Set(attempts.slice(before).map((w) => w.id));
    expect(ids.size).toBe(1);
    expect(receiver.received.slice(before).filter((w) => w.answered < 300)).toHaveLength(1);
  });

  it("refuses calls without credentials, without the role, and hides other tenants' alerts", async () => {
    await expect(listAlerts(client, undefined)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(listAlerts(client, "not-a-key")).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(listAlerts(client, principals.ingest.token)).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    } satisfies Partial<ServiceError>);
    const foreign = await listAlerts(client, otherTenant.viewer.token);
    expect(foreign.alerts).toEqual([]);
  });

  it("answers a malformed request with INVALID_ARGUMENT naming the field", async () => {
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${principals.viewer.token}`);
    const error = await new Promise<ServiceError>((resolve) =>
      client.listAlerts(
        {
          state: AlertState.ALERT_STATE_UNSPECIFIED,
          modelId: "",
          pageSize: 5000,
          pageToken: "",
          matchers: [],
        },
        metadata,
        (e) => resolve(e as ServiceError),
      ),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain("page_size");
  });
});

async function waitForAlert(
  client: AlertServiceClient,
  token: string,
  predicate: (alert: ListAlertsResponse["alerts"][number]) => boolean,
) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { alerts } = await listAlerts(client, token);
    const match = alerts.find(predicate);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no matching alert; have ${JSON.stringify(alerts)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function waitForCount(receiver: WebhookReceiver, count: number) {
  const deadline = Date.now() + 30_000;
  while (receiver.received.length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} requests, got ${receiver.received.length}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return receiver.received;
}
