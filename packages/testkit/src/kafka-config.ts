import { randomBytes } from "node:crypto";

export interface KafkaNodeConfig {
  host: string;
  port: number;
  controllerPort: number;
  dataDir: string;
}

/**
 * A combined broker+controller KRaft node tuned for tests on a small machine: one replica of
 * everything, few threads, and internal topics with one partition so the first consumer group or
 * transaction does not wait for 50 partitions to be created.
 */
export function serverProperties({
  host,
  port,
  controllerPort,
  dataDir,
}: KafkaNodeConfig): Record<string, string> {
  return {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.quorum.voters": `1@${host}:${controllerPort}`,
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    "advertised.listeners": `PLAINTEXT://${host}:${port}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "log.dirs": dataDir,
    // Services create their topics themselves; auto-creation stays on for ad-hoc test topics.
    "auto.create.topics.enable": "true",
    "num.partitions": "3",
    "default.replication.factor": "1",
    "min.insync.replicas": "1",
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "share.coordinator.state.topic.num.partitions": "1",
    "group.initial.rebalance.delay.ms": "0",
    // 2 cores are shared with Redis, the services and the test workers.
    "num.network.threads": "2",
    "num.io.threads": "2",
    "background.threads": "2",
    "num.recovery.threads.per.data.dir": "1",
    "log.cleaner.threads": "1",
    // The default 128 MiB dedupe buffer would take a quarter of the 512 MiB heap.
    "log.cleaner.dedupe.buffer.size": "16777216",
  };
}

export function renderProperties(properties: Record<string, string>): string {
  const lines = Object.entries(properties).map(([key, value]) => `${key}=${escapeValue(value)}`);
  return `# Written by @argus/testkit for one local run.\n${lines.join("\n")}\n`;
}

/** java.util.Properties treats backslashes as escapes (think Windows paths). */
function escapeValue(value: string): string {
  return value.replace(/\\/g, "\\\\");
}

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64 without padding (22 characters). A
 * leading "-" is avoided, as Kafka does, because the storage tool would read it as an option.
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}
