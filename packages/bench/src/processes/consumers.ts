// The consumers the bench compares, each started as its own process on the same pre-filled topic:
// the two kafkajs baselines and the services as deployed (one process each, their own Redis prefix
// and consumer group per run, so every run reads the topic from the start).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  freePorts,
  isolatedServiceEnv,
  type ServiceProcess,
  type Stack,
  spawnService,
  stopService,
} from "@argus/testkit";
import type { ConsumerUnderTest } from "./consumer-run.js";

export type ConsumerKind = "bare" | "bareDecode" | "drift" | "anomaly";

const bareScript = fileURLToPath(new URL("./bare-consumer.ts", import.meta.url));

const services = {
  drift: { name: "drift-detector", groupVariable: "DRIFT_CONSUMER_GROUP" },
  anomaly: { name: "anomaly-detector", groupVariable: "ANOMALY_CONSUMER_GROUP" },
} as const;

export async function startConsumer(
  kind: ConsumerKind,
  stack: Stack,
  namespace: string,
  topic: string,
  run: string,
  extraEnv: Record<string, string> = {},
): Promise<ConsumerUnderTest> {
  if (kind === "bare" || kind === "bareDecode") {
    const groupId = `${namespace}.bench-${kind}-${run}`;
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        bareScript,
        stack.kafkaBrokers.join(","),
        topic,
        groupId,
        kind === "bare" ? "none" : "decode",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const output: string[] = [];
    child.stderr?.on("data", (chunk: Buffer) =>
      output.push(...chunk.toString("utf8").split("\n").filter(Boolean)),
    );
    return {
      name: kind === "bare" ? "bare kafkajs" : "bare kafkajs + decode",
      groupId,
      child,
      output: () => output,
      stop: () => stopChild(child),
    };
  }
  const spec = services[kind];
  const group = `bench-${kind}-${run}`;
  const [http, grpc] = await freePorts(2);
  const env = isolatedServiceEnv({ kafkaBrokers: stack.kafkaBrokers, redisUrl: stack.redisUrl }, namespace, {
    ARGUS_REDIS_PREFIX: `${namespace}-${run}`,
    [spec.groupVariable]: group,
    KAFKA_TOPIC_PARTITIONS: "6",
    LOG_LEVEL: "warn",
    ...extraEnv,
  });
  const running: ServiceProcess = spawnService(spec.name, env, {
    http: http as number,
    grpc: grpc as number,
  });
  return {
    name: spec.name,
    // The kit prefixes every group with the topic prefix (two environments on one cluster).
    groupId: `${namespace}.${group}`,
    child: running.child,
    output: () => running.output,
    stop: () => stopService(running, 15_000),
  };
}

function stopChild(child: ReturnType<typeof spawn>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  return exited.finally(() => clearTimeout(timer));
}
