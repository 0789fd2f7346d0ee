import { randomBytes, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { AlertServiceClient, AlertState, Finding, findingKindToJSON } from "@argus/proto";
import { connectProducer, createKafka, createLogger } from "@argus/runtime";
import { createMonitor } from "@argus/sdk";
import { seededUniform } from "@argus/stats";
import {
  apiKeysJson,
  collectTopic,
  freePorts,
  makePrincipals,
  type ReceivedWebhook,
  type ServiceProcess,
  spawnService,
  startStack,
  startWebhookReceiver,
  stopService,
  waitReady,
} from "@argus/testkit";
import { credentials, Metadata } from "@grpc/grpc-js";
import { quantile } from "simple-statistics";
import { malformedApplications, normalApplication, predict } from "./credit-model.js";
import { elapsedMs, say } from "./progress.js";

const normalEvents = 2_000;
const clients = 50;
const undecodableRecords = 3;
const alertDeadlineMs = 90_000;
const schemaFile = fileURLToPath(
  new URL("../../../services/anomaly-detector/config/models.example.yaml", import.meta.url),
);

async function main(): Promise<number> {
  const cleanup: (() => Promise<void>)[] = [];
  const runCleanup = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => {});
  };
  process.once("SIGINT", () => void runCleanup().then(() => process.exit(130)));
  try {
    return await runDemo(cleanup);
  } finally {
    say("stopping services, Kafka and Redis…");
    await runCleanup();
    say("everything stopped");
  }
}

async function runDemo(cleanup: (() => Promise<void>)[]): Promise<number> {
  say("starting Kafka (KRaft, official Apache jars) and Redis…");
  const stack = await startStack({ log: (line) => say(`  ${line}`) });
  cleanup.push(() => stack.stop());
  say(`stack ready (${stack.mode}): kafka ${stack.kafkaBrokers.join(",")}, redis ${stack.redisUrl}`);

  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const sendTimes = new Map<string, number>();
  const latencies: number[] = [];
  const receiver = await startWebhookReceiver(secret, (webhook) =>
    reportWebhook(webhook, sendTimes, latencies),
  );
  cleanup.push(() => receiver.close());
  say(`on-call webhook receiver listening at ${receiver.url} (verifies Standard Webhooks signatures)`);

  const principals = makePrincipals("acme");
  const sharedEnv: Record<string, string> = {
    KAFKA_BROKERS: stack.kafkaBrokers.join(","),
    REDIS_URL: stack.redisUrl,
    ARGUS_REDIS_PREFIX: `demo-${randomBytes(3).toString("hex")}`,
    GRPC_HOST: "127.0.0.1",
    // The demo listens on loopback only; production serves gRPC over TLS (GRPC_TLS_CERT_FILE).
    GRPC_PLAINTEXT: "true",
    HTTP_HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    KAFKA_TOPIC_PARTITIONS: "3",
    ARGUS_API_KEYS: apiKeysJson([principals.viewer]),
    ANOMALY_INPUT_SCHEMAS_FILE: schemaFile,
    ALERTER_WEBHOOK_URL: receiver.url,
    ALERTER_WEBHOOK_SECRET: secret,
    // The demo's on-call receiver is on loopback: allowlisted explicitly, as production would a private range.
    ALERTER_EGRESS_ALLOW: "127.0.0.1/32",
    // Evidence at rest (alerts, client risk reasons) sealed with a key made for this run.
    ARGUS_EVIDENCE_KEYS: JSON.stringify({ demo: randomBytes(32).toString("base64") }),
    ARGUS_EVIDENCE_KEY_ID: "demo",
  };
  const ports = await freePorts(6);
  const services: ServiceProcess[] = ["anomaly-detector", "alerter", "drift-detector"].map((name, index) =>
    spawnService(name, sharedEnv, { http: ports[index * 2] as number, grpc: ports[index * 2 + 1] as number }),
  );
  cleanup.push(async () => {
    await Promise.all(services.map((service) => stopService(service, 15_000)));
  });
  say(`starting ${services.map((s) => s.name).join(", ")}…`);
  for (const service of services) {
    const ms = await waitReady(service, 90_000);
    say(
      `  ${service.name} ready (gRPC :${service.grpcPort}, /metrics :${service.httpPort}) after ${(ms / 1000).toFixed(1)} s`,
    );
  }

  const findings = await collectTopic(stack.kafkaBrokers, "argus.findings.v1");
  cleanup.push(() => findings.stop());
  const deadLetters = await collectTopic(stack.kafkaBrokers, "argus.deadletter.v1");
  cleanup.push(() => deadLetters.stop());

  const monitor = createMonitor({
    kafka: { brokers: stack.kafkaBrokers, clientId: "demo-credit-service" },
    modelId: "credit-risk",
    modelVersion: "1.0.0",
    tenant: "acme",
    pseudonymization: { keys: { "2026-11": randomBytes(32) }, activeKeyId: "2026-11" },
    lingerMs: 20,
    // The demo replays a story faster than any service would serve it: lossless beats never waiting.
    whenFull: "wait",
  });
  cleanup.push(() => monitor.close());

  say(`sending normal traffic: ${normalEvents} predictions from ${clients} clients…`);
  const random = seededUniform(42);
  for (let i = 1; i <= normalEvents; i++) {
    const application = normalApplication(random);
    await monitor.record({
      clientId: `customer-${Math.floor(random() * clients)}`,
      features: { ...application },
      output: predict(application),
      latencyMs: 3 + random() * 10,
    });
    if (i % 500 === 0) say(`  ${i}/${normalEvents} sent`);
  }
  await monitor.flush();

  const malformed = malformedApplications();
  say(
    `sending a burst of ${malformed.length} schema-breaking inputs and ${undecodableRecords} undecodable records…`,
  );
  for (const { why, features } of malformed) {
    const eventId = randomUUID();
    sendTimes.set(eventId, Date.now());
    await monitor.record({
      clientId: "customer-7",
      eventId,
      features,
      output: { label: "deny", scores: { deny: 1 } },
    });
    say(`  sent: ${why}`);
  }
  await monitor.flush();
  const rawProducer = await connectProducer(
    createKafka({
      brokers: stack.kafkaBrokers,
      clientId: "demo-buggy-producer",
      logger: createLogger("demo", "silent"),
    }),
  );
  await rawProducer.send({
    topic: "argus.inference.v1",
    messages: Array.from({ length: undecodableRecords }, () => ({ key: "buggy", value: randomBytes(48) })),
  });
  await rawProducer.disconnect();

  // Each breached feature is one alert (age, income, employment, debt_ratio).
  const expectedAlerts = new Set(malformed.flatMap(({ features }) => brokenFeatures(features))).size;
  say(`waiting for ${expectedAlerts} alerts at the on-call receiver…`);
  const delivered = await receiver
    .waitFor(expectedAlerts, alertDeadlineMs)
    .catch(() => receiver.received.filter((w) => w.verified));
  await findings.waitUntil((m) => m.length >= malformed.length, 10_000, "findings").catch(() => undefined);
  await deadLetters
    .waitUntil((m) => m.length >= undecodableRecords, 10_000, "dead letters")
    .catch(() => undefined);

  const listed = await listFiringAlerts(services[1] as ServiceProcess, principals.viewer.token);
  say(`AlertService.ListAlerts over gRPC: ${listed.length} firing`);
  for (const line of listed) say(`  ${line}`);

  const kinds = new Map<string, number>();
  for (const message of findings.messages) {
    const kind = findingKindToJSON(Finding.decode(message.value as Buffer).kind);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const verified = delivered.filter((w) => w.verified).length;
  const stats = monitor.stats();
  process.stdout.write(
    [
      "",
      "── Argus demo summary ─────────────────────────────────────────",
      `  events sent by the SDK        ${stats.sent}`,
      `  undecodable records sent      ${undecodableRecords}`,
      `  dead letters (both detectors) ${deadLetters.messages.length}`,
      `  findings                      ${findings.messages.length} ${JSON.stringify(Object.fromEntries(kinds))}`,
      `  alerts delivered / verified   ${receiver.received.length} / ${verified}`,
      `  end-to-end latency p50 / p99  ${fmt(latencies, 0.5)} / ${fmt(latencies, 0.99)} (event recorded → webhook verified)`,
      `  demo wall time                ${(elapsedMs() / 1000).toFixed(1)} s`,
      "────────────────────────────────────────────────────────────────",
      "",
    ].join("\n"),
  );
  return verified >= 1 ? 0 : 1;
}

function brokenFeatures(features: Record<string, number | string>): string[] {
  const broken: string[] = [];
  if (typeof features.age === "number" && (features.age < 18 || features.age > 120)) broken.push("age");
  if (typeof features.income === "number" && features.income < 0) broken.push("income");
  if (!["employed", "self_employed", "unemployed", "retired"].includes(String(features.employment))) {
    broken.push("employment");
  }
  if (features.debt_ratio === undefined || Number(features.debt_ratio) > 5) broken.push("debt_ratio");
  return broken;
}

function reportWebhook(webhook: ReceivedWebhook, sendTimes: Map<string, number>, latencies: number[]): void {
  const body = webhook.body as {
    type?: string;
    data?: { summary?: string; alerts?: { evidence?: Record<string, string> }[] };
  };
  const eventId = body.data?.alerts?.[0]?.evidence?.event_id;
  const sentAt = eventId ? sendTimes.get(eventId) : undefined;
  const latency = sentAt === undefined ? undefined : webhook.receivedAt - sentAt;
  if (latency !== undefined && webhook.verified) latencies.push(latency);
  const mark = webhook.verified ? "signature verified" : `SIGNATURE REJECTED (${webhook.verifyError})`;
  say(
    `ALERT ${body.type ?? "?"} [${mark}] ${body.data?.summary ?? ""}` +
      (latency === undefined ? "" : ` (${latency} ms after the event)`),
  );
}

function listFiringAlerts(alerter: ServiceProcess, token: string): Promise<string[]> {
  const client = new AlertServiceClient(`127.0.0.1:${alerter.grpcPort}`, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return new Promise((resolve) => {
    client.listAlerts(
      {
        state: AlertState.ALERT_STATE_FIRING,
        modelId: "credit-risk",
        pageSize: 50,
        pageToken: "",
        matchers: [],
      },
      metadata,
      (error, response) => {
        client.close();
        if (error) return resolve([`(ListAlerts failed: ${error.message})`]);
        resolve(response.alerts.map((alert) => `${alert.findingCount} finding(s)  ${alert.summary}`));
      },
    );
  });
}

function fmt(values: number[], q: number): string {
  return values.length === 0 ? "n/a" : `${Math.round(quantile(values, q))} ms`;
}

process.exit(await main());
