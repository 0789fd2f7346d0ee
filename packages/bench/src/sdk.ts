// The SDK's record() as an inference service calls it: how long it holds the caller's thread, and
// whether it ever made a caller wait for buffer space, with a real producer sending to Kafka behind it.
import { randomBytes } from "node:crypto";
import { ensureTopics } from "@argus/runtime";
import { createMonitor, type RecordInput } from "@argus/sdk";
import { type Stack, uniqueNamespace } from "@argus/testkit";
import kafkajs from "kafkajs";
import { say } from "./progress.js";
import { roundSpread, spread } from "./summary.js";
import { normals } from "./synthetic.js";

const chunk = 1_000;

export async function benchSdk(stack: Stack, events: number, features: number) {
  const topic = `${uniqueNamespace("bench-sdk")}.argus.inference.v1`;
  const kafka = new kafkajs.Kafka({ brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  await ensureTopics(kafka, [{ topic, numPartitions: 6, replicationFactor: 1 }]);
  const monitor = createMonitor({
    kafka: { brokers: stack.kafkaBrokers, logLevel: "nothing" },
    topic,
    modelId: "bench",
    modelVersion: "1",
    tenant: "bench",
    pseudonymization: { keys: { bench: randomBytes(32) }, activeKeyId: "bench" },
  });
  const draw = normals(5);
  // Inputs are built before timing: the figure is record()'s own cost.
  const inputs: RecordInput[] = Array.from({ length: chunk }, (_, i) => ({
    clientId: `client-${i % 500}`,
    features: Object.fromEntries(Array.from({ length: features }, (_, f) => [`n${f}`, draw() * (f + 1) + f])),
    output: { label: i % 2 === 0 ? "yes" : "no", scores: { yes: 0.6, no: 0.4 } },
    latencyMs: 5,
  }));
  say(`sdk: record() of ${events} events (${features} numeric features) with a producer sending to Kafka…`);
  const perChunkUs: number[] = [];
  let waited = 0;

  const pending: Promise<void>[] = [];
  for (let done = 0; done < events; done += chunk) {
    let elapsed = 0;
    for (const input of inputs) {
      const waitingBefore = monitor.stats().waiting;
      const started = performance.now();
      pending.push(monitor.record(input));
      elapsed += performance.now() - started;
      if (monitor.stats().waiting > waitingBefore) waited += 1;
    }
    perChunkUs.push((elapsed * 1000) / chunk);
    // Yield as a server does between requests, so the producer's sends run.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(pending);
  await monitor.flush();
  const stats = monitor.stats();
  await monitor.close();
  const recordUs = roundSpread(spread(perChunkUs), 2);
  say(
    `  record(): ${recordUs.median} µs median per call; ${waited} calls waited for buffer space, ${stats.dropped} dropped with it full; ${stats.sent} sent`,
  );
  return {
    events,
    features,
    recordUs,
    callsThatWaited: waited,
    dropped: stats.dropped,
    sent: stats.sent,
    failedSends: stats.failedSends,
  };
}
