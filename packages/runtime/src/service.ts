import type { Redis } from "ioredis";
import { AuditLog, auditServiceRegistration, auditStreamKey } from "./audit/index.js";
import { type Authenticator, bearerAuthenticator } from "./auth.js";
import { assertBaseConfig, type BaseConfig, ConfigError } from "./config.js";
import { type BatchConsumerOptions, type RunningConsumer, startBatchConsumer } from "./consumer-loop.js";
import { type PublishFindings, publishFindings } from "./contracts.js";
import { DeadLetterPublisher } from "./dead-letter.js";
import { admission } from "./grpc-admission.js";
import { type GrpcServiceRegistration, startGrpcServer } from "./grpc-server.js";
import { grpcTlsFromConfig } from "./grpc-tls.js";
import { type RunningHttpServer, startHttpServer } from "./http-server.js";
import { jwtVerifierFromConfig } from "./jwt.js";
import {
  checkKafkaAccess,
  connectKafkaProbe,
  connectProducer,
  createKafka,
  ensureTopics,
  kafkaConsumerPort,
  kafkaSecurityFromConfig,
} from "./kafka.js";
import type { ProducerPort } from "./kafka-port.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics, type ServiceMetrics } from "./metrics.js";
import { OffsetFence, offsetFenceKey } from "./offset-fence.js";
import { rateLimiterFromConfig } from "./rate-limit.js";
import { connectRedis, createRedis, keyspace, redisSecurityFromConfig } from "./redis.js";
import { Shutdown } from "./shutdown.js";
import { type TopicNames, topicNames } from "./topics.js";
import { initTracing, type Tracer, trace } from "./tracing.js";

/** Everything a service's wiring needs, built once by the kit. */
export interface ServiceContext {
  name: string;
  config: BaseConfig;
  logger: Logger;
  metrics: ServiceMetrics;
  tracer: Tracer;
  topics: TopicNames;
  /** Idempotent, partitions by key (murmur2); Argus' own sends ask acks = all. */
  producer: ProducerPort;
  redis: Redis;
  /** `key("a", "b")` → `<ARGUS_REDIS_PREFIX>:<service>:a:b`. */
  key: (...parts: string[]) => string;
  authenticator: Authenticator;
  /** Publishes findings to this environment's findings topic. */
  publishFindings: PublishFindings;
  /** The deployment's tamper-evident audit log: record every change a person or config makes. */
  audit: AuditLog;
  /**
   * The offset fence of consumer group `groupId` (see offset-fence.ts), keyed under this service
   * with the partition's hash tag (`offsetFenceKey`): put `partitionHashTag(topic, partition)` in
   * the keys a fenced script writes with it, so they share its Redis Cluster slot.
   */
  offsetFence(groupId: string): OffsetFence;
  /**
   * Starts the batch consumer loop for `groupId` on `topics`, dead-lettering what `decode` rejects
   * and the records the handler cannot process; it is drained on stop and reported in /readyz.
   * When it stops for good on its own, /healthz fails and the process shuts down and exits non-zero.
   */
  consume<T>(options: ConsumeOptions<T>): Promise<RunningConsumer>;
  /** Adds a condition to /readyz (e.g. "this consumer has not crashed"). */
  addReadinessCheck(name: string, check: () => boolean | Promise<boolean>): void;
  /** Register a stop step; steps run in reverse order of registration. */
  onStop(name: string, stop: () => Promise<void>): void;
}

export type ConsumeOptions<T> = Pick<
  BatchConsumerOptions<T>,
  | "groupId"
  | "topics"
  | "decode"
  | "handle"
  | "maxChunk"
  | "partitionsConcurrently"
  | "handlerRetry"
  | "kafkaRetry"
>;

export interface ServiceOverrides {
  logger?: Logger;
  /** Ends the process (default process.exit); tests pass their own. */
  exit?: (code: number) => void;
}

export interface ServiceWiring {
  grpcServices?: GrpcServiceRegistration[];
}

export interface RunningService {
  context: ServiceContext;
  grpcPort: number;
  httpPort: number;
  stop(): Promise<void>;
}

/**
 * Starts a service: logger, metrics, tracing, Kafka topics and producer, Redis, then the service's
 * own wiring (consumers, stores), then the gRPC and HTTP servers. `stop()` undoes it in reverse,
 * except the HTTP server, which stops last so that probes and /metrics see the shutdown through.
 *
 * A consumer that stops for good on its own (it crashed without restart, or it was stopped
 * from elsewhere) would leave a process that runs and consumes nothing: the kit logs the reason at
 * error level, answers /healthz with 503 naming the consumer, shuts down (bounded by
 * SHUTDOWN_TIMEOUT_MS) and exits with code 1, so that Kubernetes restarts it.
 */
export async function startService(
  name: string,
  config: BaseConfig,
  wire: (context: ServiceContext) => Promise<ServiceWiring>,
  overrides: ServiceOverrides = {},
): Promise<RunningService> {
  const logger = overrides.logger ?? createLogger(name, config.LOG_LEVEL);
  const exit = overrides.exit ?? ((code: number) => process.exit(code));
  const shutdown = new Shutdown(logger);
  // Registered first, so it stops last.
  let http: RunningHttpServer | undefined;
  shutdown.add("http server", async () => {
    await http?.stop();
  });
  const livenessFailures = new Map<string, string>();
  let failing = false;
  const cannotGoOn = (component: string, reason: string) => {
    livenessFailures.set(component, reason);
    if (failing) return;
    failing = true;
    logger.error({ component, reason }, `${name} cannot go on: shutting down to be restarted`);
    void shutdown.run(config.SHUTDOWN_TIMEOUT_MS).finally(() => exit(1));
  };
  try {
    // Credentials and TLS first: a wrong key file or setting stops start-up before anything connects.
    assertBaseConfig(config);
    const authenticator = bearerAuthenticator({
      apiKeys: config.ARGUS_API_KEYS,
      jwt: jwtVerifierFromConfig(config, (reason) => logger.debug({ reason }, "JWT refused")),
    });
    const tls = grpcTlsFromConfig(config);
    const kafkaSecurity = kafkaSecurityFromConfig(config);
    const redisSecurity = redisSecurityFromConfig(config);
    initTracing(name, config.ARGUS_TRACES_EXPORTER);
    const metrics = createMetrics(name);
    const topics = topicNames(config.ARGUS_TOPIC_PREFIX);
    const kafkaOptions = {
      brokers: config.KAFKA_BROKERS,
      clientId: config.KAFKA_CLIENT_ID ?? name,
      logger,
      security: kafkaSecurity,
    };
    const kafka = createKafka(kafkaOptions);
    // Wrong credentials or TLS fail here at once (ConfigError), not after minutes of retries.
    await checkKafkaAccess(kafkaOptions);
    await ensureTopics(
      kafka,
      Object.values(topics).map((topic) => ({
        topic,
        numPartitions: config.KAFKA_TOPIC_PARTITIONS,
        replicationFactor: config.KAFKA_REPLICATION_FACTOR,
      })),
    );
    const producer = await connectProducer(kafka);
    shutdown.add("kafka producer", () => producer.disconnect());
    const kafkaProbe = await connectKafkaProbe(kafka);
    shutdown.add("kafka admin", () => kafkaProbe.disconnect());
    const redis = createRedis(config.REDIS_URL, logger, redisSecurity);
    await connectRedis(redis, redisSecurity);
    shutdown.add("redis", async () => {
      await redis.quit();
    });

    const readinessChecks = new Map<string, () => boolean | Promise<boolean>>();
    const kafkaAnswers = () => kafkaProbe.answers();
    const redisAnswers = () => redis.ping().then((reply) => reply === "PONG");
    const audit = new AuditLog({
      redis,
      key: auditStreamKey(config.ARGUS_REDIS_PREFIX),
      mirror: { producer, topic: topics.audit },
    });
    const context: ServiceContext = {
      name,
      config,
      logger,
      metrics,
      tracer: trace.getTracer(name),
      topics,
      producer,
      redis,
      key: keyspace(config.ARGUS_REDIS_PREFIX, name),
      authenticator,
      publishFindings: (findings) => publishFindings(producer, topics.findings, findings, metrics),
      audit,
      offsetFence: (groupId) =>
        new OffsetFence(redis, (topic, partition) =>
          offsetFenceKey(keyspace(config.ARGUS_REDIS_PREFIX, name), groupId, topic, partition),
        ),
      onStop: (stepName, stop) => shutdown.add(stepName, stop),
      addReadinessCheck: (checkName, check) => readinessChecks.set(checkName, check),
      consume: async (options) => {
        // Groups share the topics' prefix: two environments on one cluster must not share a group.
        const groupId = `${config.ARGUS_TOPIC_PREFIX}${options.groupId}`;
        const consumer = await startBatchConsumer({
          ...options,
          groupId,
          joinGroup: kafkaConsumerPort(kafka),
          sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
          deadLetters: new DeadLetterPublisher(producer, topics.deadLetter, groupId, {
            maxRecordBytes: config.KAFKA_DEAD_LETTER_MAX_BYTES,
          }),
          logger,
          metrics,
          dependenciesAnswer: async () =>
            (await withinTimeout(redisAnswers)) && (await withinTimeout(kafkaAnswers)),
          onStoppedForGood: (reason) => cannotGoOn(`consumer ${groupId}`, reason),
        });
        shutdown.add(`consumer ${groupId}`, () => consumer.stop(), { together: "consumers" });
        readinessChecks.set(`consumer ${groupId}`, consumer.healthy);
        return consumer;
      },
    };
    const wiring = await wire(context);

    const grpc = await startGrpcServer({
      host: config.GRPC_HOST,
      port: config.GRPC_PORT,
      services: [...(wiring.grpcServices ?? []), auditServiceRegistration(audit)],
      authenticator,
      reflection: config.GRPC_REFLECTION,
      logger,
      tls,
      anonymousHealth: config.GRPC_ANONYMOUS_HEALTH,
      admit: admission(rateLimiterFromConfig(config, redis), logger),
      platformTenant: config.ARGUS_PLATFORM_TENANT,
    });
    shutdown.add("grpc server", () => grpc.stop());
    http = await startHttpServer({
      host: config.HTTP_HOST,
      port: config.HTTP_PORT,
      registry: metrics.registry,
      logger,
      liveness: () => Object.fromEntries(livenessFailures),
      readiness: async () => {
        const checks: [string, () => boolean | Promise<boolean>][] = [
          ["kafka", kafkaAnswers],
          ["redis", redisAnswers],
          ...readinessChecks,
        ];
        const results = await Promise.all(
          checks.map(async ([checkName, check]) => [checkName, await withinTimeout(check)]),
        );
        return Object.fromEntries(results);
      },
    });
    logger.info({ grpcPort: grpc.port, httpPort: http.port }, `${name} started`);
    return {
      context,
      grpcPort: grpc.port,
      httpPort: http.port,
      stop: () => shutdown.run(config.SHUTDOWN_TIMEOUT_MS),
    };
  } catch (error) {
    await shutdown.run(5_000);
    throw error;
  }
}

/**
 * The body of every service's main.ts: start, stop gracefully on SIGTERM/SIGINT, and exit with a
 * message naming the problem when start-up fails (exit 78, EX_CONFIG, for a bad configuration).
 */
export async function runMain(name: string, start: () => Promise<RunningService>): Promise<void> {
  let running: RunningService;
  try {
    running = await start();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${name}: failed to start: ${message}\n`);
    process.exit(error instanceof ConfigError ? 78 : 1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.context.logger.info({ signal }, `${name} stopping`);
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

const readinessTimeoutMs = 2_000;

/** A readiness check that errors or does not answer in time counts as not ready (never a hung probe). */
async function withinTimeout(check: () => boolean | Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), readinessTimeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
