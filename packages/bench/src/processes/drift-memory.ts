// Redis memory the drift-detector keeps for one 30-feature model over its retention (14 days of
// 5-minute windows by default): 14 simulated days of events go through the drift-detector process
// into a Redis of its own, whose used_memory is read before and after.
import { InferenceEvent } from "@argus/proto";
import { ensureTopics } from "@argus/runtime";
import {
  freePorts,
  isolatedServiceEnv,
  type Stack,
  spawnService,
  startLocalRedis,
  stopService,
  testProducer,
  uniqueNamespace,
} from "@argus/testkit";
import { Redis } from "ioredis";
import kafkajs from "kafkajs";
import { say } from "../progress.js";
import { round } from "../summary.js";
import { benchModelId, normals, syntheticEvent, t0 } from "../synthetic.js";
import { committed, topicEnd } from "./consumer-run.js";
import { redisInfoNumber } from "./redis-info.js";

const day = 24 * 3_600_000;
const windowMs = 5 * 60_000;

export async function benchDriftMemory(
  stack: Stack,
  days: number,
  eventsPerWindow: number,
  features: number,
) {
  const redis = await startLocalRedis();
  const namespace = uniqueNamespace("bench-drift-mem");
  const topic = `${namespace}.argus.inference.v1`;
  const kafka = new kafkajs.Kafka({ brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const client = new Redis(redis.url);
  try {
    await ensureTopics(kafka, [{ topic, numPartitions: 6, replicationFactor: 1 }]);
    const windows = Math.round((days * day) / windowMs);
    const events = windows * eventsPerWindow;
    const stepMs = windowMs / eventsPerWindow;
    say(
      `drift memory: ${days} simulated days, ${windows} windows × ${eventsPerWindow} events, ${features} features…`,
    );
    const producer = await testProducer(stack.kafkaBrokers);
    const draw = normals(11);
    for (let at = 0; at < events; at += 5_000) {
      const messages = [];
      for (let i = at; i < Math.min(at + 5_000, events); i++) {
        const event = syntheticEvent(i, draw, features, 0);
        event.eventTime = new Date(t0 + i * stepMs);
        messages.push({ key: event.clientId, value: Buffer.from(InferenceEvent.encode(event).finish()) });
      }
      await producer.send({ topic, messages });
      if ((at + 5_000) % 200_000 === 0) say(`  produced ${Math.min(at + 5_000, events)}/${events}`);
    }
    await producer.disconnect();
    const before = await redisInfoNumber(client, "memory", "used_memory");
    const [http, grpc] = await freePorts(2);
    const env = isolatedServiceEnv({ kafkaBrokers: stack.kafkaBrokers, redisUrl: redis.url }, namespace, {
      KAFKA_TOPIC_PARTITIONS: "6",
      LOG_LEVEL: "warn",
    });
    const drift = spawnService("drift-detector", env, { http: http as number, grpc: grpc as number });
    let openWindows = 0;
    try {
      const total = await topicEnd(admin, topic);
      const group = `${namespace}.argus-drift`;
      let last = 0;
      for (;;) {
        if (drift.child.exitCode !== null)
          throw new Error(
            `drift-detector exited with ${drift.child.exitCode}:\n${drift.output.slice(-20).join("\n")}`,
          );
        const done = await committed(admin, group, topic);
        if (done >= total) break;
        if (done - last >= 200_000) {
          say(`  consumed ${done}/${total}`);
          last = done;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      // Closed windows are evaluated and packed by the evaluation loop, a few hundred a second:
      // measure once every window that can close has (the newest stay open for late events).
      const pending = `${namespace}:drift-detector:pending:{${benchModelId}}`;
      let left = await client.zcard(pending);
      let lastProgress = Date.now();
      while (left > 2 && Date.now() - lastProgress < 30_000) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const now = await client.zcard(pending);
        if (now < left) lastProgress = Date.now();
        left = now;
      }
      openWindows = left;
    } finally {
      await stopService(drift, 15_000);
    }
    const after = await redisInfoNumber(client, "memory", "used_memory");
    const keys = await client.dbsize();
    const byKind = await memoryByKind(client, namespace);
    const mib = (after - before) / 1024 / 1024;
    const perModel14d = (mib * 14) / days;
    say(
      `  ${round(mib, 1)} MiB in ${keys} keys for ${days} days: ${round(perModel14d, 1)} MiB per model for 14 days`,
    );
    say(
      `  by key kind (MiB): ${Object.entries(byKind)
        .map(([kind, bytes]) => `${kind} ${round(bytes / 1024 / 1024, 2)}`)
        .join(", ")}`,
    );
    return {
      days,
      windows,
      eventsPerWindow,
      features,
      events,
      keys,
      usedMiB: round(mib, 1),
      mibPerModel14d: round(perModel14d, 1),
      windowsNotYetEvaluated: openWindows,
      mibByKeyKind: Object.fromEntries(
        Object.entries(byKind).map(([kind, bytes]) => [kind, round(bytes / 1024 / 1024, 2)]),
      ),
    };
  } finally {
    client.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await redis.stop();
  }
}

/** MEMORY USAGE summed by the key's kind: its first segment after the service's prefix. */
async function memoryByKind(client: Redis, namespace: string): Promise<Record<string, number>> {
  const byKind: Record<string, number> = {};
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "COUNT", 1000);
    cursor = next;
    for (const key of keys) {
      const rest = key.startsWith(`${namespace}:`) ? key.slice(namespace.length + 1) : key;
      const kind = rest.split(":").slice(0, 2).join(":");
      byKind[kind] = (byKind[kind] ?? 0) + ((await client.memory("USAGE", key)) ?? 0);
    }
  } while (cursor !== "0");
  return byKind;
}
