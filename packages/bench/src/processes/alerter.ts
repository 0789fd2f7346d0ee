// The alerter as its own process draining a topic of findings that are each a new alert in a group
// of its own (one model per finding, no grouping wait), to a verifying webhook receiver: webhooks a
// second, CPU and bytes written to Redis per webhook.
import { randomBytes } from "node:crypto";
import { Finding, FindingKind, Severity } from "@argus/proto";
import { ensureTopics } from "@argus/runtime";
import {
  freePorts,
  isolatedServiceEnv,
  type Stack,
  spawnService,
  startLocalRedis,
  startWebhookReceiver,
  stopService,
  testProducer,
  uniqueNamespace,
  waitReady,
} from "@argus/testkit";
import kafkajs from "kafkajs";
import { say } from "../progress.js";
import { round } from "../summary.js";
import { processCpuSeconds } from "./process-cpu.js";
import { redisBytesIn } from "./redis-info.js";

export async function benchAlerter(stack: Stack, alerts: number) {
  const namespace = uniqueNamespace("bench-alerter");
  const topic = `${namespace}.argus.findings.v1`;
  const kafka = new kafkajs.Kafka({ brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  await ensureTopics(kafka, [{ topic, numPartitions: 6, replicationFactor: 1 }]);
  say(`alerter: filling ${topic} with ${alerts} findings, each a new alert in its own group…`);
  const producer = await testProducer(stack.kafkaBrokers);
  const observedAt = new Date();
  for (let at = 0; at < alerts; at += 1_000) {
    const messages = [];
    for (let i = at; i < Math.min(at + 1_000, alerts); i++) {
      const modelId = `bench-model-${i}`;
      const finding = Finding.fromPartial({
        findingId: `bench-finding-${i}`,
        kind: FindingKind.FINDING_KIND_INPUT_VIOLATION,
        severity: Severity.SEVERITY_WARNING,
        modelId,
        tenant: "bench",
        fingerprint: `bench-fp-${i}`,
        summary: `${modelId}: feature "age" above max`,
        evidence: { rule: "max" },
        labels: { alertname: "InputViolation", model: modelId, severity: "warning" },
        observedAt,
        detector: "input-validation",
      });
      messages.push({ key: modelId, value: Buffer.from(Finding.encode(finding).finish()) });
    }
    await producer.send({ topic, messages });
  }
  await producer.disconnect();

  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  let pid = 0;
  let first: { at: number; cpu: number } | undefined;
  const receiver = await startWebhookReceiver(secret, () => {
    if (first === undefined && pid !== 0) first = { at: performance.now(), cpu: processCpuSeconds(pid) };
  });
  const [http, grpc] = await freePorts(2);
  // A Redis of its own: the bytes it receives are the alerter's alone, and keys carry the prefix
  // they have as deployed ("argus"), not a test namespace twice as long.
  const redis = await startLocalRedis();
  const env = isolatedServiceEnv({ kafkaBrokers: stack.kafkaBrokers, redisUrl: redis.url }, namespace, {
    ARGUS_REDIS_PREFIX: "argus",
    KAFKA_TOPIC_PARTITIONS: "6",
    LOG_LEVEL: "warn",
    ALERTER_WEBHOOK_URL: receiver.url,
    ALERTER_WEBHOOK_SECRET: secret,
    ALERTER_GROUP_WAIT: "0s",
    ALERTER_EGRESS_ALLOW: "127.0.0.1/32",
  });
  const alerter = spawnService("alerter", env, { http: http as number, grpc: grpc as number });
  pid = alerter.child.pid ?? 0;
  try {
    await waitReady(alerter, 120_000);
    // Everything the alerter writes for these alerts, from ready on, shared out per webhook.
    const bytesBefore = await redisBytesIn(redis.url);
    const delivered = await receiver.waitFor(alerts, 600_000);
    const lastAt = performance.now();
    const bytes = (await redisBytesIn(redis.url)) - bytesBefore;
    if (first === undefined) throw new Error("no webhook arrived");
    const cpu = processCpuSeconds(pid) - first.cpu;
    const webhooks = delivered.length - 1;
    const seconds = (lastAt - first.at) / 1000;
    const result = {
      alerts,
      webhooksPerSecond: round(webhooks / seconds, 0),
      cpuUsPerWebhook: round((cpu * 1e6) / webhooks, 0),
      redisBytesInPerWebhook: round(bytes / delivered.length, 0),
      unverified: receiver.received.filter((webhook) => !webhook.verified).length,
    };
    say(
      `  ${result.webhooksPerSecond} webhooks/s, ${result.cpuUsPerWebhook} µs alerter CPU and ${result.redisBytesInPerWebhook} bytes written to Redis per webhook`,
    );
    return result;
  } finally {
    await stopService(alerter, 15_000);
    await receiver.close();
    await redis.stop();
  }
}
