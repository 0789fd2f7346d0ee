import { pbkdf2Sync, randomBytes } from "node:crypto";

export interface KafkaNodeConfig {
  host: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  /** A second client listener, SECURE, that asks for SASL/SCRAM (see SecureListenerConfig). */
  secure?: SecureListenerConfig;
}

/**
 * The SECURE listener: SASL with SCRAM-SHA-512 or SCRAM-SHA-256, over TLS (SASL_SSL) when `tls` is
 * given, else SASL_PLAINTEXT. The PLAINTEXT listener stays for the broker itself and the readiness
 * probe; a test reaches the secure one only through its own port.
 */
export interface SecureListenerConfig {
  port: number;
  tls?: {
    /** PKCS#12 keystore holding the server certificate chain and key. */
    keystoreFile: string;
    keystorePassword: string;
    /** PEM CA bundle: when set, clients must present a certificate that chains to it (mTLS). */
    clientCaFile?: string | undefined;
  };
}

export const SCRAM_MECHANISMS = ["SCRAM-SHA-512", "SCRAM-SHA-256"] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];

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
  secure,
}: KafkaNodeConfig): Record<string, string> {
  const secureListener = secure ? `,SECURE://${host}:${secure.port}` : "";
  const secureProtocol = secure ? `,SECURE:${secure.tls ? "SASL_SSL" : "SASL_PLAINTEXT"}` : "";
  return {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.quorum.voters": `1@${host}:${controllerPort}`,
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}${secureListener}`,
    "advertised.listeners": `PLAINTEXT://${host}:${port}${secureListener}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": `PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${secureProtocol}`,
    ...(secure ? secureListenerProperties(secure) : {}),
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

function secureListenerProperties({ tls }: SecureListenerConfig): Record<string, string> {
  const prefix = "listener.name.secure";
  const properties: Record<string, string> = {
    [`${prefix}.sasl.enabled.mechanisms`]: SCRAM_MECHANISMS.join(","),
  };
  // The broker side of SCRAM needs a JAAS entry, but no credentials of its own: it checks clients
  // against the SCRAM credentials in the metadata log (created at format time, see scramArgument).
  for (const mechanism of SCRAM_MECHANISMS)
    properties[`${prefix}.${mechanism.toLowerCase()}.sasl.jaas.config`] =
      "org.apache.kafka.common.security.scram.ScramLoginModule required;";
  if (tls) {
    properties[`${prefix}.ssl.keystore.type`] = "PKCS12";
    properties[`${prefix}.ssl.keystore.location`] = tls.keystoreFile;
    properties[`${prefix}.ssl.keystore.password`] = tls.keystorePassword;
    if (tls.clientCaFile !== undefined) {
      properties[`${prefix}.ssl.client.auth`] = "required";
      properties[`${prefix}.ssl.truststore.type`] = "PEM";
      properties[`${prefix}.ssl.truststore.location`] = tls.clientCaFile;
    }
  }
  return properties;
}

/**
 * A `kafka-storage format --add-scram` argument for `user`. It carries the salted password
 * (PBKDF2, as RFC 5802's Hi), not the password, so the password never shows in a process list.
 */
export function scramArgument(
  mechanism: ScramMechanism,
  user: string,
  password: string,
  { iterations = 4096, salt = randomBytes(16) }: { iterations?: number; salt?: Buffer } = {},
): string {
  if (!/^[A-Za-z0-9._-]+$/.test(user))
    throw new Error(`SCRAM user name ${JSON.stringify(user)} is not plain`);
  const [digest, length] = mechanism === "SCRAM-SHA-512" ? ["sha512", 64] : ["sha256", 32];
  const salted = pbkdf2Sync(password, salt, iterations, length, digest);
  return `${mechanism}=[name=${user},iterations=${iterations},salt="${salt.toString("base64")}",saltedpassword="${salted.toString("base64")}"]`;
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
