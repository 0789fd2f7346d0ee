// The runtime's kafkajs adapter, and its only module that imports kafkajs: the client's settings,
// the start-up access check, topics, and the producer, consumer and probe of kafka-port.ts.
import type { ConnectionOptions } from "node:tls";
import kafkajs, { type Admin, type Kafka, type KafkaConfig, type Producer } from "kafkajs";
import { ConfigError } from "./config.js";
import type { ConsumerPort, KafkaProbe } from "./kafka-port.js";
import type { Logger } from "./logger.js";
import { errorChain, readSecretFile, tlsClientOptions, tlsFailure } from "./transport-security.js";

const { Kafka: KafkaClient, logLevel, Partitioners } = kafkajs;

// Conditions kafkajs logs as errors although it retries them: a coordinator or leader moving, a
// group rebalancing. They are warnings for on-call; a real failure surfaces after the retries.
const transientKafkaErrors =
  /coordinator is loading|coordinator is not available|not the correct coordinator|group is rebalancing|leader not available|no leader/i;

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** SASL and TLS towards the brokers (none: plaintext, unauthenticated). */
  security?: KafkaSecurity | undefined;
}

export type KafkaSaslMechanism = "scram-sha-512" | "scram-sha-256" | "plain";

export interface KafkaSecurity {
  sasl?: {
    mechanism: KafkaSaslMechanism;
    username: string;
    password: string;
    /** The variable the password came from, for messages (KAFKA_SASL_PASSWORD or …_FILE). */
    passwordVariable: string;
  };
  /** TLS client options (CA bundle, client certificate); `{}` is TLS with the system CAs. */
  tls?: ConnectionOptions;
}

export interface KafkaSecurityConfig {
  KAFKA_SASL_MECHANISM?: KafkaSaslMechanism | undefined;
  KAFKA_SASL_USERNAME?: string | undefined;
  KAFKA_SASL_PASSWORD?: string | undefined;
  KAFKA_SASL_PASSWORD_FILE?: string | undefined;
  KAFKA_TLS: boolean;
  KAFKA_TLS_CA_FILE?: string | undefined;
  KAFKA_TLS_CERT_FILE?: string | undefined;
  KAFKA_TLS_KEY_FILE?: string | undefined;
}

/** SASL and TLS towards Kafka from the configuration; reads the password and PEM files now. */
export function kafkaSecurityFromConfig(config: KafkaSecurityConfig): KafkaSecurity {
  const security: KafkaSecurity = {};
  const mechanism = config.KAFKA_SASL_MECHANISM;
  if (mechanism !== undefined) {
    const username = config.KAFKA_SASL_USERNAME;
    if (username === undefined)
      throw new ConfigError(`KAFKA_SASL_USERNAME: is required when KAFKA_SASL_MECHANISM is ${mechanism}`);
    const file = config.KAFKA_SASL_PASSWORD_FILE;
    if (file !== undefined && config.KAFKA_SASL_PASSWORD !== undefined)
      throw new ConfigError("KAFKA_SASL_PASSWORD_FILE and KAFKA_SASL_PASSWORD: set one, not both");
    const password =
      file !== undefined ? readSecretFile("KAFKA_SASL_PASSWORD_FILE", file) : config.KAFKA_SASL_PASSWORD;
    if (password === undefined)
      throw new ConfigError(
        `KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE: is required when KAFKA_SASL_MECHANISM is ${mechanism}`,
      );
    const passwordVariable = file !== undefined ? "KAFKA_SASL_PASSWORD_FILE" : "KAFKA_SASL_PASSWORD";
    security.sasl = { mechanism, username, password, passwordVariable };
  }
  if (config.KAFKA_TLS)
    security.tls = tlsClientOptions(
      { variable: "KAFKA_TLS_CA_FILE", path: config.KAFKA_TLS_CA_FILE },
      { variable: "KAFKA_TLS_CERT_FILE", path: config.KAFKA_TLS_CERT_FILE },
      { variable: "KAFKA_TLS_KEY_FILE", path: config.KAFKA_TLS_KEY_FILE },
    );
  return security;
}

/** A kafkajs client whose logs go through the service's JSON logger. */
export function createKafka(options: KafkaOptions): Kafka {
  const { sasl, tls } = options.security ?? {};
  if (sasl?.mechanism === "plain" && !tls)
    options.logger.warn(
      { mechanism: sasl.mechanism },
      "KAFKA_SASL_MECHANISM=plain without KAFKA_TLS: the Kafka password crosses the network in clear text",
    );
  return new KafkaClient(kafkaClientConfig(options));
}

/** The kafkajs configuration of `createKafka` (exported for tests). */
export function kafkaClientConfig({ brokers, clientId, logger, security }: KafkaOptions): KafkaConfig {
  const kafkaLogger = logger.child({ component: "kafkajs" });
  const sasl = security?.sasl;
  return {
    brokers,
    clientId,
    ...(security?.tls ? { ssl: security.tls } : {}),
    ...(sasl ? { sasl: saslOption(sasl.mechanism, sasl.username, sasl.password) } : {}),
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
  };
}

function saslOption(mechanism: KafkaSaslMechanism, username: string, password: string): KafkaConfig["sasl"] {
  switch (mechanism) {
    case "plain":
      return { mechanism, username, password };
    case "scram-sha-256":
      return { mechanism, username, password };
    case "scram-sha-512":
      return { mechanism, username, password };
  }
}

/**
 * Connects once, before anything else does, to check that the brokers accept this client's TLS and
 * credentials (and answer a metadata request, which a SASL listener refuses to a client that did not
 * authenticate). While they cannot be reached it retries (a broker may still be starting) up to
 * `timeoutMs`; when they refuse the credentials or the TLS handshake it fails at once with a
 * ConfigError saying what to fix, as retrying would only repeat the refusal. A broker that accepts
 * the connection and closes it again at once, attempt after attempt, is not starting: the client
 * speaks another protocol than the listener (TLS or not, SASL or not), also a ConfigError.
 */
export async function checkKafkaAccess(options: KafkaOptions, { timeoutMs = 60_000 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 200;
  let lastLogged = "";
  let closedInARow = 0;
  for (;;) {
    const admin = new KafkaClient({
      ...kafkaClientConfig(options),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch (error) {
      const refusal = kafkaAccessError(error, options);
      if (refusal) throw refusal;
      closedInARow = closedRightAway(error) ? closedInARow + 1 : 0;
      if (closedInARow >= closedAttemptsBeforeGivingUp) throw protocolMismatch(error, options);
      if (Date.now() + delay > deadline) throw error;
      const message = (error as Error).message;
      if (message !== lastLogged)
        options.logger.warn({ err: message, brokers: options.brokers }, "Kafka not reachable yet, retrying");
      lastLogged = message;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 5_000);
  }
}

/** About 3 s of attempts (0.2 + 0.4 + 0.8 + 1.6 s apart). */
const closedAttemptsBeforeGivingUp = 5;

/** The broker accepted the connection and closed it before answering (or before TLS was set up). */
function closedRightAway(error: unknown): boolean {
  return errorChain(error).some(
    (failure) =>
      failure.name === "KafkaJSConnectionClosedError" ||
      (failure as NodeJS.ErrnoException).code === "ECONNRESET" ||
      /Closed connection|disconnected before secure TLS connection/i.test(failure.message),
  );
}

function protocolMismatch(error: unknown, { brokers, security }: KafkaOptions): ConfigError {
  const checks = [
    security?.tls
      ? "KAFKA_TLS=true, but does this listener speak TLS?"
      : "no KAFKA_TLS: does this listener want TLS?",
    security?.sasl
      ? `KAFKA_SASL_MECHANISM=${security.sasl.mechanism}: does this listener take it?`
      : "no KAFKA_SASL_MECHANISM: does this listener want SASL?",
  ];
  return new ConfigError(
    `Kafka at ${brokers.join(",")} closes the connection as soon as it is opened (${(error as Error).message}): ` +
      `this client and the listener disagree on the protocol; check KAFKA_BROKERS, ${checks.join(" ")}`,
  );
}

/**
 * A ConfigError naming what to fix when `error` says that Kafka refused this client (wrong
 * credentials, a SASL mechanism the listener does not offer, a certificate that is not trusted);
 * undefined for anything retrying may cure.
 */
export function kafkaAccessError(
  error: unknown,
  { brokers, security }: KafkaOptions,
): ConfigError | undefined {
  const chain = errorChain(error);
  const sasl = security?.sasl;
  const mechanism = sasl?.mechanism.toUpperCase() ?? "none";
  const brokerOf = (failure: Error) => (failure as Error & { broker?: string }).broker ?? brokers.join(",");
  for (const failure of chain) {
    const reason = failure.message;
    if (failure.name === "KafkaJSSASLAuthenticationError") {
      if (/mechanism is not supported/i.test(reason))
        return new ConfigError(
          `Kafka at ${brokers.join(",")} does not offer SASL mechanism ${mechanism}: check KAFKA_SASL_MECHANISM (${reason})`,
        );
      return new ConfigError(
        `Kafka authentication failed for user ${sasl?.username ?? "(none)"} (${mechanism}): check KAFKA_SASL_USERNAME / ${
          sasl?.passwordVariable ?? "KAFKA_SASL_PASSWORD"
        } (${reason})`,
      );
    }
    const type = (failure as Error & { type?: string }).type;
    if (type === "ILLEGAL_SASL_STATE" || type === "UNSUPPORTED_SASL_MECHANISM")
      return new ConfigError(
        `Kafka at ${brokers.join(",")} refused SASL ${mechanism} on this listener (${type}): check KAFKA_SASL_MECHANISM and KAFKA_BROKERS (${reason})`,
      );
    const code = (failure as Error & { code?: unknown }).code;
    switch (tlsFailure(code)) {
      case "untrusted":
        return new ConfigError(
          `Kafka broker ${brokerOf(failure)} presented a TLS certificate that is not trusted (${code}): check KAFKA_TLS_CA_FILE`,
        );
      case "wrong-name":
        return new ConfigError(
          `Kafka broker ${brokerOf(failure)} presented a TLS certificate for another name (${code}): check KAFKA_BROKERS against the broker's certificate`,
        );
      case "not-tls":
        return new ConfigError(
          `Kafka broker ${brokerOf(failure)} does not speak TLS on this port (${code}): check KAFKA_TLS and KAFKA_BROKERS`,
        );
      case "refused":
        return new ConfigError(
          `Kafka broker ${brokerOf(failure)} refused the TLS handshake (${code}): it may want a client certificate, check KAFKA_TLS_CERT_FILE / KAFKA_TLS_KEY_FILE`,
        );
    }
  }
  return undefined;
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

/** The consumer port on kafkajs: one kafkajs consumer per group joined. */
export function kafkaConsumerPort(kafka: Kafka): ConsumerPort {
  return async (settings) => {
    const consumer = kafka.consumer({
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      maxBytesPerPartition: settings.maxBytesPerPartition,
      maxWaitTimeInMs: settings.maxWaitMs,
      retry: {
        retries: settings.retry.retries,
        initialRetryTime: settings.retry.initialRetryTimeMs,
        restartOnFailure: settings.retry.restartOnFailure,
      },
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => settings.onCrash(payload.error, payload.restart));
    consumer.on(consumer.events.STOP, () => settings.onStop());
    await consumer.connect();
    for (const topic of settings.topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: settings.partitionsConcurrently,
      // kafkajs' batch and messages already have the port's shape: handed over as they are.
      eachBatch: ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) =>
        settings.eachBatch(batch, {
          isRunning,
          isStale,
          heartbeat,
          commit: async (lastOffset) => {
            resolveOffset(lastOffset);
            // Through the batch's own commit, not consumer.commitOffsets: once stop() has begun the
            // latter returns without committing, and the batch stop() waits for would come again.
            await commitOffsetsIfNecessary({
              topics: [
                {
                  topic: batch.topic,
                  partitions: [{ partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }],
                },
              ],
            });
          },
        }),
    });
    return consumer;
  };
}

/** An admin connection kept open to answer readiness and outage checks without connecting each time. */
export async function connectKafkaProbe(kafka: Kafka): Promise<KafkaProbe> {
  const admin = kafka.admin();
  await admin.connect();
  return {
    answers: () => admin.describeCluster().then(() => true),
    disconnect: () => admin.disconnect(),
  };
}
