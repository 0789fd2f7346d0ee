import kafkajs, { type Admin, type Kafka, type Producer } from "kafkajs";
import type { Logger } from "./logger.js";

export type { Kafka, Producer };

const { Kafka: KafkaClient, logLevel, Partitioners } = kafkajs;

// Conditions kafkajs logs as errors although it retries them: a coordinator or leader moving, a
// group rebalancing. They are warnings for on-call; a real failure surfaces after the retries.
const transientKafkaErrors =
  /coordinator is loading|coordinator is not available|not the correct coordinator|group is rebalancing|leader not available|no leader/i;

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
}

/** A kafkajs client whose logs go through the service's JSON logger. */
export function createKafka({ brokers, clientId, logger }: KafkaOptions): Kafka {
  const kafkaLogger = logger.child({ component: "kafkajs" });
  return new KafkaClient({
    brokers,
    clientId,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8 },
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...extra } = log;
        const transient = transientKafkaErrors.test(
          `${message} ${typeof extra.error === "string" ? extra.error : ""}`,
        );
        if (level === logLevel.ERROR && !transient) kafkaLogger.error(extra, message);
        else if (level === logLevel.WARN) kafkaLogger.warn(extra, message);
        else kafkaLogger.debug(extra, message);
      },
  });
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  /** e.g. retention.ms; applied only when the topic is created. */
  configEntries?: { name: string; value: string }[];
}

/**
 * Creates the topics that do not exist yet and waits until every partition has a leader.
 * Idempotent, and safe when several replicas start together.
 */
export async function ensureTopics(kafka: Kafka, topics: TopicSpec[], timeoutMs = 60_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: false });
    await waitForLeaders(
      admin,
      topics.map((spec) => spec.topic),
      timeoutMs,
    );
  } finally {
    await admin.disconnect();
  }
}

// kafkajs' own waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker answers
// for a moment after creating a topic; poll the metadata until it settles instead.
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = "";
  while (Date.now() < deadline) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      const leaderless = metadata.filter(
        (topic) =>
          topic.partitions.length === 0 || topic.partitions.some((partition) => partition.leader < 0),
      );
      if (leaderless.length === 0) return;
      lastProblem = `no leader yet for ${leaderless.map((topic) => topic.name).join(", ")}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`topics not ready after ${timeoutMs} ms: ${lastProblem}`);
}

/**
 * An idempotent producer: a retried send is never written twice to the log, so a broker hiccup
 * does not turn into duplicate findings or dead letters.
 */
export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    // An idempotent producer must not give up on a send: while Kafka is away the consumer loop
    // stalls (nothing is committed, nothing lost) and /readyz reports it; shutdown is time-bounded.
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 30_000 },
  });
  await producer.connect();
  return producer;
}
