import { randomBytes } from "node:crypto";
import { ensureTopics } from "@argus/runtime";
import {
  collectTopic,
  freePorts,
  isolatedServiceEnv,
  type ServiceProcess,
  spawnService,
  startWebhookReceiver,
  stopService,
  type TopicCollector,
  uniqueNamespace,
  type WebhookReceiver,
  waitReady,
} from "@argus/testkit";
import kafkajs, { type Admin } from "kafkajs";

const { Kafka, logLevel } = kafkajs;

/**
 * The alerter holds a client's first notification this long (wall clock) to count the burst; pages
 * are counted only after every finding was read and this much time, plus a margin, passed quietly.
 */
export const clientGroupWaitMs = 30_000;
/** How soon a group that changed after its notification is notified again. */
export const groupIntervalMs = 30_000;

export interface PhaseOptions {
  /** Short name in topic and key prefixes, e.g. "attack" or "benign". */
  label: string;
  kafkaBrokers: string[];
  redisUrl: string;
  schemasFile: string;
  partitions: number;
  detectorReplicas: number;
  say: (line: string) => void;
}

/**
 * One replay's own Argus: its topics (the inference topic with `partitions`), its key prefix,
 * `detectorReplicas` anomaly-detectors in one consumer group, the alerter, a webhook receiver that
 * verifies signatures, and a reader of the findings topic.
 */
export interface Phase {
  namespace: string;
  topics: { inference: string; findings: string };
  groups: { anomaly: string; alerter: string };
  admin: Admin;
  receiver: WebhookReceiver;
  findings: TopicCollector;
  services: ServiceProcess[];
  /** Throws with the service's last log lines if a service process has exited. */
  assertAlive(): void;
  stop(): Promise<void>;
}

export async function startPhase(options: PhaseOptions): Promise<Phase> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => {});
  };
  try {
    return await start(options, stops, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

async function start(
  options: PhaseOptions,
  stops: (() => Promise<void>)[],
  stop: () => Promise<void>,
): Promise<Phase> {
  const namespace = uniqueNamespace(`eval-${options.label}`);
  const topics = {
    inference: `${namespace}.argus.inference.v1`,
    findings: `${namespace}.argus.findings.v1`,
  };
  const kafka = new Kafka({
    brokers: options.kafkaBrokers,
    clientId: "argus-eval",
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  stops.push(() => admin.disconnect());
  // Created here rather than by the first service to start: the partition count is the experiment's.
  // The kit's ensureTopics, not kafkajs' waitForLeaders, which gives up when a KRaft broker briefly
  // answers "does not host this topic-partition" for a topic it has just created.
  await ensureTopics(
    kafka,
    Object.values(topics).map((topic) => ({
      topic,
      numPartitions: options.partitions,
      replicationFactor: 1,
    })),
  );
  stops.push(async () => {
    const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(`${namespace}.`));
    await admin.deleteTopics({ topics: ours });
  });

  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const receiver = await startWebhookReceiver(secret);
  stops.push(() => receiver.close());

  const env = isolatedServiceEnv(
    { kafkaBrokers: options.kafkaBrokers, redisUrl: options.redisUrl },
    namespace,
    {
      KAFKA_TOPIC_PARTITIONS: String(options.partitions),
      ANOMALY_INPUT_SCHEMAS_FILE: options.schemasFile,
      // Every replica must salt query fingerprints alike, or one client's repeats look new on another.
      ANOMALY_FINGERPRINT_SALT: randomBytes(24).toString("base64url"),
      ALERTER_WEBHOOK_URL: receiver.url,
      ALERTER_WEBHOOK_SECRET: secret,
      // Stated, not defaulted: the page count waits this long after the last finding (see clientGroupWaitMs).
      ALERTER_CLIENT_GROUP_WAIT: `${clientGroupWaitMs / 1000}s`,
      ALERTER_GROUP_INTERVAL: `${groupIntervalMs / 1000}s`,
      // The receiver listens on loopback: allowlisted, as production would a private range.
      ALERTER_EGRESS_ALLOW: "127.0.0.1/32",
    },
  );
  const names = [...Array.from({ length: options.detectorReplicas }, () => "anomaly-detector"), "alerter"];
  const ports = await freePorts(names.length * 2);
  const services = names.map((name, i) =>
    spawnService(name, env, { http: ports[2 * i] as number, grpc: ports[2 * i + 1] as number }),
  );
  stops.push(async () => {
    await Promise.all(services.map((service) => stopService(service, 15_000)));
  });
  options.say(
    `  starting ${options.detectorReplicas} anomaly-detectors and the alerter (namespace ${namespace})…`,
  );
  const waited = await Promise.all(services.map((service) => waitReady(service, 180_000)));
  options.say(`  services ready after ${(Math.max(...waited) / 1000).toFixed(1)} s`);

  const findings = await collectTopic(options.kafkaBrokers, topics.findings);
  stops.push(() => findings.stop());

  return {
    namespace,
    topics,
    groups: { anomaly: `${namespace}.argus-anomaly`, alerter: `${namespace}.argus-alerter` },
    admin,
    receiver,
    findings,
    services,
    assertAlive() {
      for (const service of services) {
        const code = service.child.exitCode ?? service.child.signalCode;
        if (code !== null) {
          throw new Error(
            `${service.name} (:${service.httpPort}) exited (${code}):\n  ${service.output.slice(-15).join("\n  ")}`,
          );
        }
      }
    },
    stop,
  };
}
