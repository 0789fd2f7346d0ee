import { driftConfigSchema, startDriftDetector } from "@argus/drift-detector";
import { InferenceEvent } from "@argus/proto";
import { createLogger, loadConfig } from "@argus/runtime";
import { isolatedServiceEnv, type Stack, testProducer, uniqueNamespace } from "@argus/testkit";
import { Redis } from "ioredis";
import kafkajs from "kafkajs";
import { say } from "./progress.js";
import { normals, syntheticEvent } from "./synthetic.js";

const partitions = 6;

/**
 * The drift-detector consuming a pre-filled topic, next to a bare kafkajs consumer reading the
 * same topic in the same run: the ratio of the two is the figure that matters (the broker, the
 * machine and the client library are the same for both).
 */
export async function benchEndToEnd(stack: Stack, events: number) {
  const namespace = uniqueNamespace("bench");
  const topic = `${namespace}.argus.inference.v1`;
  const kafka = new kafkajs.Kafka({ brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();

  say(`e2e: pre-filling ${topic} with ${events} events (20 numeric + 5 categorical features)…`);
  const producer = await testProducer(stack.kafkaBrokers);
  const draw = normals(3);
  for (let at = 0; at < events; at += 5_000) {
    const messages = [];
    for (let i = at; i < Math.min(at + 5_000, events); i++) {
      const event = syntheticEvent(i, draw, 20, 5);
      messages.push({ key: event.clientId, value: Buffer.from(InferenceEvent.encode(event).finish()) });
    }
    await producer.send({ topic, messages });
    if ((at + 5_000) % 50_000 === 0) say(`  ${Math.min(at + 5_000, events)}/${events}`);
  }
  await producer.disconnect();

  say("e2e: bare kafkajs consumer (eachBatch, no work)…");
  const bareSeconds = await bareConsume(kafka, topic, events);
  say(`  ${Math.round(events / bareSeconds)} events/s`);

  say("e2e: drift-detector consuming the same topic…");
  const roundTrips = countRedisCommands();
  const env = isolatedServiceEnv({ kafkaBrokers: stack.kafkaBrokers, redisUrl: stack.redisUrl }, namespace, {
    LOG_LEVEL: "warn",
    KAFKA_TOPIC_PARTITIONS: String(partitions),
    // The evaluation loop stays out of the measurement; it is not on the ingest path.
    DRIFT_EVALUATE_INTERVAL_MS: "60000",
  });
  const rssBefore = process.memoryUsage().rss;
  roundTrips.reset();
  const detector = await startDriftDetector(loadConfig(driftConfigSchema, env), {
    logger: createLogger("drift-detector", "warn", process.stderr),
  });
  const redis = new Redis(stack.redisUrl);
  const windowKeys = async () => redis.keys(`${namespace}:drift-detector:win:*`);
  let applied = 0;
  let lastReport = 0;
  // Both consumers are timed from their first records: group join and start-up are not throughput.
  while ((await windowKeys()).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const started = performance.now();
  while (applied < events) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const counts = await Promise.all((await windowKeys()).map((key) => redis.hget(key, "n")));
    applied = counts.reduce((sum, value) => sum + Number(value ?? 0), 0);
    if (applied - lastReport >= 50_000) {
      say(`  ${applied}/${events} applied`);
      lastReport = applied;
    }
  }
  const detectorSeconds = (performance.now() - started) / 1000;
  const commands = roundTrips.snapshot();
  const batchMetric = (await detector.context.metrics.registry.getMetricsAsJSON()).find(
    (metric) => metric.name === "argus_batch_duration_seconds",
  );
  const batches =
    (batchMetric?.values as { metricName?: string; value: number }[] | undefined)
      ?.filter((value) => value.metricName === "argus_batch_duration_seconds_count")
      .reduce((sum, value) => sum + value.value, 0) ?? 0;
  const rssAfter = process.memoryUsage().rss;
  await detector.stop();
  await redis.quit();
  roundTrips.restore();
  const ingestCommands = Object.entries(commands.byCommand)
    .filter(([name]) => ["mget", "get", "eval", "evalsha"].includes(name))
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    events,
    partitions,
    bareKafkajs: { seconds: round(bareSeconds), eventsPerSecond: Math.round(events / bareSeconds) },
    driftDetector: {
      seconds: round(detectorSeconds),
      eventsPerSecond: Math.round(events / detectorSeconds),
      batches,
      redisCommandsByName: commands.byCommand,
      redisRoundTripsPerBatch: batches > 0 ? round(ingestCommands / batches) : null,
      rssGrowthMiB: round((rssAfter - rssBefore) / 1024 / 1024),
    },
    ratio: round(bareSeconds / detectorSeconds),
  };
}

async function bareConsume(kafka: kafkajs.Kafka, topic: string, events: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `${topic}-bare`, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let started = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        if (seen === 0) started = performance.now();
        seen += batch.messages.length;
        if (seen >= events) resolve();
      },
    });
  });
  await done;
  const seconds = (performance.now() - started) / 1000;
  await consumer.disconnect();
  return seconds;
}

/** Counts Redis commands sent by this process (the hot path sends no pipelines, so one is one round trip). */
function countRedisCommands() {
  const original = Redis.prototype.sendCommand;
  let byCommand: Record<string, number> = {};
  Redis.prototype.sendCommand = function (this: Redis, command, stream) {
    const name = (command as { name: string }).name;
    byCommand[name] = (byCommand[name] ?? 0) + 1;
    return original.call(this, command, stream);
  } as typeof original;
  return {
    reset: () => {
      byCommand = {};
    },
    snapshot: () => ({ byCommand: { ...byCommand } }),
    restore: () => {
      Redis.prototype.sendCommand = original;
    },
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
