// The interleaved throughput runs: a topic of tabular events is filled once, then every round runs
// each consumer on it from the start (baselines and services alternate, so a slower moment of this
// shared machine falls on all of them alike), and ratios are taken within a round.
import { InferenceEvent } from "@argus/proto";
import { ensureTopics } from "@argus/runtime";
import { type Stack, testProducer, uniqueNamespace } from "@argus/testkit";
import kafkajs, { type Admin } from "kafkajs";
import { say } from "../progress.js";
import { numericModelSchema, writeSchemasFile } from "../schemas.js";
import { round, roundSpread, type Spread, spread } from "../summary.js";
import { benchModelId, normals, syntheticEvent } from "../synthetic.js";
import { type ConsumerRun, timeConsumer } from "./consumer-run.js";
import { type ConsumerKind, startConsumer } from "./consumers.js";

export const throughputFeatures = 30;
export const throughputPartitions = 6;
const kinds: ConsumerKind[] = ["bare", "bareDecode", "drift", "anomaly"];

export interface ConsumerFigures {
  eventsPerSecond: Spread;
  usPerEvent: Spread;
  /** This consumer's rate ÷ the bare consumer's in the same round. */
  ratioVsBare: Spread;
}

export type ThroughputResult = Record<ConsumerKind, ConsumerFigures> & {
  events: number;
  features: number;
  partitions: number;
  repeats: number;
};

export async function benchThroughput(
  stack: Stack,
  events: number,
  repeats: number,
): Promise<ThroughputResult> {
  return withThroughputTopic(stack, "bench", events, async ({ admin, namespace, topic }) => {
    const env = throughputEnv();
    const runs: Record<ConsumerKind, ConsumerRun[]> = { bare: [], bareDecode: [], drift: [], anomaly: [] };
    for (let round_ = 1; round_ <= repeats; round_++) {
      for (const kind of kinds) {
        say(`throughput round ${round_}/${repeats}: ${kind}…`);
        const consumer = await startConsumer(kind, stack, namespace, topic, `r${round_}`, env);
        const run = await timeConsumer(admin, topic, consumer);
        runs[kind].push(run);
        say(
          `  ${run.name}: ${Math.round(run.eventsPerSecond).toLocaleString("en-US")} events/s, ${round(run.usPerEvent, 1)} µs CPU per event (${run.events} events in ${round(run.seconds)} s)`,
        );
      }
    }
    const figures = (kind: ConsumerKind): ConsumerFigures => ({
      eventsPerSecond: roundSpread(spread(runs[kind].map((run) => run.eventsPerSecond)), 0),
      usPerEvent: roundSpread(spread(runs[kind].map((run) => run.usPerEvent)), 1),
      ratioVsBare: roundSpread(
        spread(
          runs[kind].map((run, i) => run.eventsPerSecond / (runs.bare[i] as ConsumerRun).eventsPerSecond),
        ),
        3,
      ),
    });
    return {
      events,
      features: throughputFeatures,
      partitions: throughputPartitions,
      repeats,
      bare: figures("bare"),
      bareDecode: figures("bareDecode"),
      drift: figures("drift"),
      anomaly: figures("anomaly"),
    };
  });
}

/** Runs `work` on a topic of its own filled with `events` bench events; the topic goes afterwards. */
export async function withThroughputTopic<T>(
  stack: Stack,
  label: string,
  events: number,
  work: (topic: { admin: Admin; namespace: string; topic: string }) => Promise<T>,
): Promise<T> {
  const namespace = uniqueNamespace(label);
  const topic = `${namespace}.argus.inference.v1`;
  const kafka = new kafkajs.Kafka({ brokers: stack.kafkaBrokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(kafka, [{ topic, numPartitions: throughputPartitions, replicationFactor: 1 }]);
    await fillThroughputTopic(stack, topic, events);
    return await work({ admin, namespace, topic });
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** The services' configuration in the throughput runs. */
export function throughputEnv(): Record<string, string> {
  return {
    // Drift reports are not on the ingest path; they would only add noise to the figure.
    DRIFT_EVALUATE_INTERVAL_MS: "60000",
    ANOMALY_INPUT_SCHEMAS_FILE: writeSchemasFile({ [benchModelId]: numericModelSchema(throughputFeatures) }),
  };
}

export async function fillThroughputTopic(stack: Stack, topic: string, events: number): Promise<void> {
  say(`filling ${topic} with ${events} events (${throughputFeatures} numeric features, 500 clients)…`);
  const producer = await testProducer(stack.kafkaBrokers);
  const draw = normals(3);
  try {
    for (let at = 0; at < events; at += 5_000) {
      const messages = [];
      for (let i = at; i < Math.min(at + 5_000, events); i++) {
        const event = syntheticEvent(i, draw, throughputFeatures, 0);
        messages.push({ key: event.clientId, value: Buffer.from(InferenceEvent.encode(event).finish()) });
      }
      await producer.send({ topic, messages });
      if ((at + 5_000) % 50_000 === 0) say(`  ${Math.min(at + 5_000, events)}/${events}`);
    }
  } finally {
    await producer.disconnect();
  }
}
