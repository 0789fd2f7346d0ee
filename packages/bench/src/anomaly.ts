import { anomalyConfigSchema, startAnomalyDetector } from "@argus/anomaly-detector";
import { AnomalyServiceClient, InferenceEvent, type ScreenInputResponse } from "@argus/proto";
import { createLogger, loadConfig } from "@argus/runtime";
import { normalDraw, seededUniform } from "@argus/stats";
import {
  apiKeysJson,
  isolatedServiceEnv,
  makePrincipals,
  type Stack,
  testProducer,
  uniqueNamespace,
} from "@argus/testkit";
import { credentials, Metadata } from "@grpc/grpc-js";
import { Redis } from "ioredis";
import kafkajs from "kafkajs";
import { quantile } from "simple-statistics";
import { say } from "./progress.js";

const partitions = 6;
const schemaFile = new URL("../../../services/anomaly-detector/config/models.example.yaml", import.meta.url)
  .pathname;

function creditEvent(i: number, client: string, random: () => number): InferenceEvent {
  const age = Math.round(normalDraw(random, 45, 10));
  return InferenceEvent.fromPartial({
    eventId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    modelId: "credit-risk",
    clientId: client,
    tenant: "bench",
    eventTime: new Date(Date.now() - 3_600_000 + i),
    features: {
      age: { kind: { $case: "number", value: age } },
      income: { kind: { $case: "number", value: Math.round(age * 1200 + normalDraw(random, 0, 6000)) } },
      debt_ratio: { kind: { $case: "number", value: random() * 2 } },
      employment: { kind: { $case: "category", value: "employed" } },
    },
    output: {
      kind: {
        $case: "classification",
        value: { label: random() < 0.5 ? "approve" : "deny", scores: { approve: 0.6, deny: 0.4 } },
      },
    },
    latencyMs: 20,
  });
}

/**
 * The anomaly-detector on a pre-filled topic next to a bare kafkajs consumer, with `clients`
 * distinct clients (one event each beyond the first `events`): Redis memory per client, TTLs, and
 * ScreenInput latency over gRPC.
 */
export async function benchAnomaly(stack: Stack, events: number, clients: number) {
  const namespace = uniqueNamespace("bench-anomaly");
  const topic = `${namespace}.argus.inference.v1`;
  const kafka = new kafkajs.Kafka({ brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  const total = Math.max(events, clients);
  say(`anomaly: pre-filling ${topic} with ${total} events from ${clients} distinct clients…`);
  const random = seededUniform(5);
  const producer = await testProducer(stack.kafkaBrokers);
  for (let at = 0; at < total; at += 5_000) {
    const messages = [];
    for (let i = at; i < Math.min(at + 5_000, total); i++) {
      const client = `c-${i % clients}`;
      messages.push({
        key: client,
        value: Buffer.from(InferenceEvent.encode(creditEvent(i, client, random)).finish()),
      });
    }
    await producer.send({ topic, messages });
    if ((at + 5_000) % 200_000 === 0) say(`  ${at + 5_000}/${total}`);
  }
  await producer.disconnect();

  say("anomaly: bare kafkajs consumer…");
  const consumer = kafka.consumer({ groupId: `${topic}-bare`, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let bareStarted = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (seen === 0) bareStarted = performance.now();
        seen += batch.messages.length;
        if (seen >= total) resolve();
      },
    });
  });
  const bareSeconds = (performance.now() - bareStarted) / 1000;
  await consumer.disconnect();

  say("anomaly: anomaly-detector on the same topic…");
  const redis = new Redis(stack.redisUrl);
  const memoryBefore = Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1] ?? 0);
  const principals = makePrincipals("bench");
  const env = isolatedServiceEnv({ kafkaBrokers: stack.kafkaBrokers, redisUrl: stack.redisUrl }, namespace, {
    ANOMALY_INPUT_SCHEMAS_FILE: schemaFile,
    KAFKA_TOPIC_PARTITIONS: String(partitions),
    ANOMALY_FINGERPRINT_SALT: "bench-salt-0123456789",
    ARGUS_API_KEYS: apiKeysJson([principals.ingest]),
  });
  const detector = await startAnomalyDetector(loadConfig(anomalyConfigSchema, env), {
    logger: createLogger("anomaly-detector", "warn", process.stderr),
  });
  const fence = `${namespace}:anomaly-detector:fence:argus-anomaly:{${topic}:*`;
  const lastOffset = total - 1;
  let started = 0;
  let appliedAll = false;
  while (!appliedAll) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const keys = await redis.keys(fence);
    if (keys.length > 0 && started === 0) started = performance.now();
    const offsets = keys.length > 0 ? (await redis.mget(keys)).map(Number) : [];
    // Offsets per partition are 0-based; all applied when they sum to the records minus partitions.
    appliedAll =
      offsets.length === partitions && offsets.reduce((sum, o) => sum + o + 1, 0) >= lastOffset + 1;
  }
  const detectorSeconds = (performance.now() - started) / 1000;
  const memoryAfter = Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1] ?? 0);
  const sample = await redis.keys(`${namespace}:anomaly-detector:client:*`).then((k) => k.slice(0, 200));
  const sizes = await Promise.all(sample.map((key) => redis.memory("USAGE", key)));
  const ttls = await Promise.all(sample.map((key) => redis.pttl(key)));

  say("anomaly: ScreenInput latency, 2 000 sequential calls…");
  const grpc = new AnomalyServiceClient(`127.0.0.1:${detector.grpcPort}`, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${principals.ingest.token}`);
  const latencies: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const event = creditEvent(i, `c-${i}`, random);
    const t = performance.now();
    await new Promise<ScreenInputResponse>((resolve, reject) =>
      grpc.screenInput({ event }, metadata, (e, r) => (e ? reject(e) : resolve(r))),
    );
    latencies.push(performance.now() - t);
  }
  grpc.close();
  await detector.stop();
  await redis.quit();
  const average = (values: number[]) =>
    values.reduce((a, b) => a + Number(b), 0) / Math.max(values.length, 1);
  return {
    events: total,
    distinctClients: clients,
    bareKafkajs: { eventsPerSecond: Math.round(total / bareSeconds) },
    anomalyDetector: { eventsPerSecond: Math.round(total / detectorSeconds) },
    ratio: Math.round((bareSeconds / detectorSeconds) * 100) / 100,
    redis: {
      usedMemoryGrowthMiB: Math.round(((memoryAfter - memoryBefore) / 1024 / 1024) * 10) / 10,
      bytesPerClientFromGrowth: Math.round((memoryAfter - memoryBefore) / clients),
      clientKeyMemoryUsageAverageBytes: Math.round(average(sizes.map(Number))),
      clientKeysWithTtl: ttls.filter((ttl) => ttl > 0).length,
      clientKeysSampled: sample.length,
    },
    screenInputMs: {
      p50: Math.round(quantile(latencies, 0.5) * 100) / 100,
      p99: Math.round(quantile(latencies, 0.99) * 100) / 100,
    },
  };
}
