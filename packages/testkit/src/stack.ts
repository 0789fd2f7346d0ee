import { join } from "node:path";
import { hasCachedClasspath } from "./kafka-classpath.js";
import { startLocalKafka } from "./local-kafka.js";
import { startLocalRedis } from "./local-redis.js";
import { defaultCacheDir, kafkaDeployDir } from "./paths.js";
import { assertCommands } from "./preflight.js";

export interface Stack {
  kafkaBrokers: string[];
  redisUrl: string;
  /** "external" only when both servers came from KAFKA_BROKERS / REDIS_URL. */
  mode: "external" | "local" | "containers";
  stop(): Promise<void>;
}

export interface StackOptions {
  log?: (line: string) => void;
  /** Parent of the local servers' temp folders (default: the OS temp dir). */
  workDir?: string;
}

interface Server<T> {
  value: T;
  stop(): Promise<void>;
}

type Mode = Exclude<Stack["mode"], "external">;

/** How startStack will get each server, from the environment alone. */
export function planStack(env: NodeJS.ProcessEnv = process.env): {
  mode: Stack["mode"];
  kafkaBrokers?: string[];
  redisUrl?: string;
} {
  const kafkaBrokers = env.KAFKA_BROKERS?.split(",")
    .map((broker) => broker.trim())
    .filter((broker) => broker !== "");
  const external = {
    ...(kafkaBrokers && kafkaBrokers.length > 0 ? { kafkaBrokers } : {}),
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
  };
  if (external.kafkaBrokers && external.redisUrl) return { mode: "external", ...external };
  return { mode: env.ARGUS_TESTKIT === "containers" ? "containers" : "local", ...external };
}

/**
 * Kafka and Redis for tests and local runs: servers named by KAFKA_BROKERS / REDIS_URL are used as
 * they are; whatever is missing is started, with testcontainers when ARGUS_TESTKIT=containers,
 * otherwise as local processes (see deploy/local/README.md).
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? (() => {});
  const plan = planStack();
  const mode: Mode = plan.mode === "containers" ? "containers" : "local";

  if (mode === "local") await preflightLocal(!plan.kafkaBrokers, !plan.redisUrl);

  const kafkaStart: Promise<Server<string[]>> = plan.kafkaBrokers
    ? Promise.resolve(external(plan.kafkaBrokers))
    : startKafka(mode, opts, log);
  const redisStart: Promise<Server<string>> = plan.redisUrl
    ? Promise.resolve(external(plan.redisUrl))
    : startRedis(mode, opts, log);

  const [kafka, redis] = await Promise.allSettled([kafkaStart, redisStart]);
  if (kafka.status === "rejected" || redis.status === "rejected") {
    // Do not leave the one that did start running behind a failed setup.
    await Promise.all([kafka, redis].map((r) => (r.status === "fulfilled" ? r.value.stop() : undefined)));
    throw kafka.status === "rejected" ? kafka.reason : (redis as PromiseRejectedResult).reason;
  }

  let stopping: Promise<void> | undefined;
  return {
    kafkaBrokers: kafka.value.value,
    redisUrl: redis.value.value,
    mode: plan.mode === "external" ? "external" : mode,
    stop() {
      stopping ??= Promise.all([kafka.value.stop(), redis.value.stop()]).then(() => {});
      return stopping;
    },
  };
}

/** Names every missing command in one error, before anything is started. */
async function preflightLocal(kafka: boolean, redis: boolean): Promise<void> {
  const commands: string[] = [];
  if (kafka) {
    commands.push("java");
    if (!(await hasCachedClasspath(join(kafkaDeployDir, "pom.xml"), defaultCacheDir()))) commands.push("mvn");
  }
  if (redis) commands.push("redis-server");
  assertCommands(commands);
}

function external<T>(value: T): Server<T> {
  return { value, stop: async () => {} };
}

async function startKafka(
  mode: Mode,
  opts: StackOptions,
  log: (line: string) => void,
): Promise<Server<string[]>> {
  if (mode === "containers") {
    // Loaded only here: testcontainers pulls in a Docker client that local runs never need.
    const { startKafkaContainer } = await import("./containers.js");
    return startKafkaContainer(log);
  }
  const kafka = await startLocalKafka({ log, ...(opts.workDir ? { workDir: opts.workDir } : {}) });
  return { value: kafka.brokers, stop: kafka.stop };
}

async function startRedis(
  mode: Mode,
  opts: StackOptions,
  log: (line: string) => void,
): Promise<Server<string>> {
  if (mode === "containers") {
    const { startRedisContainer } = await import("./containers.js");
    return startRedisContainer(log);
  }
  const redis = await startLocalRedis({ log, ...(opts.workDir ? { workDir: opts.workDir } : {}) });
  return { value: redis.url, stop: redis.stop };
}
