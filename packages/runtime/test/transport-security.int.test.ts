import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { type LocalKafka, type LocalRedis, startLocalKafka, startLocalRedis } from "@argus/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BaseConfig, baseConfigSchema, ConfigError, loadConfig } from "../src/config.js";
import { checkKafkaAccess, createKafka, ensureTopics, kafkaSecurityFromConfig } from "../src/kafka.js";
import { createLogger } from "../src/logger.js";
import { connectRedis, createRedis, redisSecurityFromConfig } from "../src/redis.js";
import { type RunningService, startService } from "../src/service.js";

// A Kafka broker and a redis-server of this file's own, configured as production ought to be:
// Kafka with a SASL_SSL listener that takes SCRAM users created when its storage is formatted and
// wants a client certificate; Redis TLS-only (client certificate required, Redis' default), with
// its `default` user off and an ACL user. Certificates are made here with openssl, for this run
// only. The shared stack of the other integration tests is not used.

const user = "argus";
const password = randomBytes(18).toString("base64url");
const wrongPassword = randomBytes(18).toString("base64url");

interface Pki {
  dir: string;
  file: (name: string) => string;
}

function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "argus-transport-"));
  const file = (name: string) => join(dir, name);
  writeFileSync(file("req.cnf"), "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n");
  const openssl = (args: string[]) =>
    execFileSync("openssl", ["req", "-config", file("req.cnf"), "-x509", "-noenc", "-days", "1", ...args], {
      stdio: "pipe",
    });
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
  openssl([
    ...newKey,
    ...["-keyout", file("ca.key"), "-out", file("ca.crt"), "-subj", "/CN=Argus Transport Test CA"],
    ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  ]);
  const leaf = (name: string, cn: string, usage: string, san?: string) =>
    openssl([
      ...newKey,
      ...["-keyout", file(`${name}.key`), "-out", file(`${name}.crt`), "-subj", `/CN=${cn}`],
      ...["-CA", file("ca.crt"), "-CAkey", file("ca.key")],
      ...["-addext", "basicConstraints=critical,CA:FALSE", "-addext", `extendedKeyUsage=${usage}`],
      ...(san ? ["-addext", `subjectAltName=${san}`] : []),
    ]);
  leaf("server", "argus-transport-server", "serverAuth", "DNS:localhost,IP:127.0.0.1");
  leaf("client", user, "clientAuth");
  writeFileSync(file("password"), `${password}\n`, { mode: 0o600 });
  writeFileSync(file("wrong-password"), `${wrongPassword}\n`, { mode: 0o600 });
  // Redis keeps only a SHA-256 of the password (`#…`); `default` is off, so every client must log in.
  const sha = createHash("sha256").update(password).digest("hex");
  writeFileSync(file("users.acl"), `user default off\nuser ${user} on #${sha} ~* &* +@all\n`);
  return { dir, file };
}

/** Everything a service logs, to check that no secret is in it. */
function capturedLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger("transport-test", "debug", destination), text: () => lines.join("") };
}

let pki: Pki;
let kafka: LocalKafka;
let redis: LocalRedis;
let secureBrokers: string;
let redisHostPort: string;
const setupTimes: Record<string, number> = {};

/** The environment of a service that reaches both servers the way they demand. */
function secureEnv(): Record<string, string> {
  return {
    KAFKA_BROKERS: secureBrokers,
    KAFKA_SASL_MECHANISM: "scram-sha-512",
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD_FILE: pki.file("password"),
    KAFKA_TLS: "true",
    KAFKA_TLS_CA_FILE: pki.file("ca.crt"),
    KAFKA_TLS_CERT_FILE: pki.file("client.crt"),
    KAFKA_TLS_KEY_FILE: pki.file("client.key"),
    REDIS_URL: `rediss://${redisHostPort}`,
    REDIS_USERNAME: user,
    REDIS_PASSWORD_FILE: pki.file("password"),
    REDIS_TLS_CA_FILE: pki.file("ca.crt"),
    REDIS_TLS_CERT_FILE: pki.file("client.crt"),
    REDIS_TLS_KEY_FILE: pki.file("client.key"),
    ARGUS_TOPIC_PREFIX: `transport-${randomBytes(3).toString("hex")}.`,
    GRPC_HOST: "127.0.0.1",
    GRPC_PORT: "0",
    GRPC_PLAINTEXT: "true",
    HTTP_HOST: "127.0.0.1",
    HTTP_PORT: "0",
    SHUTDOWN_TIMEOUT_MS: "5000",
  };
}

function configOf(env: Record<string, string | undefined>): BaseConfig {
  return loadConfig(baseConfigSchema, env);
}

/** Starts a service with nothing of its own; resolves with the service or the start-up error. */
async function start(
  env: Record<string, string | undefined>,
): Promise<{ service?: RunningService; error?: Error; ms: number; logs: string }> {
  const { logger, text } = capturedLogger();
  const started = Date.now();
  try {
    const service = await startService("transport-test", configOf(env), async () => ({}), { logger });
    return { service, ms: Date.now() - started, logs: text() };
  } catch (error) {
    return { error: error as Error, ms: Date.now() - started, logs: text() };
  }
}

/** The start-up error, checked to be a ConfigError (exit 78) that came fast and leaks no secret. */
async function startupRefusal(env: Record<string, string | undefined>): Promise<ConfigError> {
  const { service, error, ms, logs } = await start(env);
  await service?.stop();
  expect(error).toBeInstanceOf(ConfigError);
  expect(ms).toBeLessThan(10_000);
  for (const secret of [password, wrongPassword]) {
    expect(error?.message).not.toContain(secret);
    expect(logs).not.toContain(secret);
  }
  return error as ConfigError;
}

beforeAll(async () => {
  let at = Date.now();
  pki = makePki();
  setupTimes.certificates = Date.now() - at;
  at = Date.now();
  [kafka, redis] = await Promise.all([
    startLocalKafka({
      secureListener: {
        scramUsers: [{ name: user, password }],
        tls: {
          certFile: pki.file("server.crt"),
          keyFile: pki.file("server.key"),
          clientCaFile: pki.file("ca.crt"),
        },
      },
    }).then((started) => {
      setupTimes.kafka = Date.now() - at;
      return started;
    }),
    startLocalRedis({
      tls: { certFile: pki.file("server.crt"), keyFile: pki.file("server.key"), caFile: pki.file("ca.crt") },
      aclFile: pki.file("users.acl"),
    }).then((started) => {
      setupTimes.redis = Date.now() - at;
      return started;
    }),
  ]);
  secureBrokers = kafka.secureBrokers?.join(",") ?? "";
  redisHostPort = new URL(redis.url).host;
  process.stderr.write(`[transport-security] set-up times (ms): ${JSON.stringify(setupTimes)}\n`);
});

afterAll(async () => {
  await Promise.all([kafka?.stop(), redis?.stop()]);
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

describe("a service on SCRAM-SHA-512 + mTLS Kafka and ACL + mTLS Redis", () => {
  it("starts with the right credentials, and produces, consumes and uses Redis through them", async () => {
    const { service, error, logs } = await start(secureEnv());
    expect(error).toBeUndefined();
    if (!service) throw new Error("not started");
    try {
      const { producer, redis: store, topics, key } = service.context;
      // Redis: logged in as the ACL user, over TLS.
      expect(await store.call("ACL", "WHOAMI")).toBe(user);
      expect(store.options.tls).toBeTruthy();
      await store.set(key("probe"), "ok");
      expect(await store.get(key("probe"))).toBe("ok");
      // Kafka: a round trip on a topic the service created over the SASL_SSL listener.
      const value = randomBytes(8).toString("hex");
      await producer.send({ topic: topics.findings, acks: -1, messages: [{ key: "k", value }] });
      const received = new Promise<string>((resolve) => {
        void service.context.consume({
          groupId: "transport-reader",
          topics: [topics.findings],
          decode: (bytes) => ({ ok: true, value: String(bytes) }),
          handle: async (batch) => {
            for (const record of batch.records) resolve(record.value);
          },
        });
      });
      expect(await received).toBe(value);
    } finally {
      await service.stop();
    }
    expect(logs).not.toContain(password);
  });

  it("also authenticates with SCRAM-SHA-256 and with credentials inside REDIS_URL", async () => {
    const logger = createLogger("transport-test", "silent");
    const kafkaOptions = {
      brokers: [secureBrokers],
      clientId: "transport-test",
      logger,
      security: kafkaSecurityFromConfig(configOf({ ...secureEnv(), KAFKA_SASL_MECHANISM: "scram-sha-256" })),
    };
    await checkKafkaAccess(kafkaOptions, { timeoutMs: 5_000 });
    await ensureTopics(createKafka(kafkaOptions), [
      { topic: "transport-sha256", numPartitions: 1, replicationFactor: 1 },
    ]);

    const env = {
      ...secureEnv(),
      REDIS_URL: `rediss://${user}:${encodeURIComponent(password)}@${redisHostPort}`,
      REDIS_USERNAME: undefined,
      REDIS_PASSWORD_FILE: undefined,
    };
    const security = redisSecurityFromConfig(configOf(env));
    expect(security.credentialsFrom).toBe("REDIS_URL");
    const client = createRedis(env.REDIS_URL, logger, security);
    await connectRedis(client, security);
    try {
      expect(await client.call("ACL", "WHOAMI")).toBe(user);
    } finally {
      client.disconnect();
    }
  });
});

describe("Kafka refuses a wrong transport configuration, and start-up says what to fix at once", () => {
  it("a wrong password", async () => {
    const error = await startupRefusal({
      ...secureEnv(),
      KAFKA_SASL_PASSWORD_FILE: pki.file("wrong-password"),
    });
    expect(error.message).toMatch(
      /^Kafka authentication failed for user argus \(SCRAM-SHA-512\): check KAFKA_SASL_USERNAME \/ KAFKA_SASL_PASSWORD_FILE/,
    );
  });

  it("an unknown user, with the password given directly", async () => {
    const error = await startupRefusal({
      ...secureEnv(),
      KAFKA_SASL_USERNAME: "nobody",
      KAFKA_SASL_PASSWORD_FILE: undefined,
      KAFKA_SASL_PASSWORD: wrongPassword,
    });
    expect(error.message).toMatch(
      /^Kafka authentication failed for user nobody \(SCRAM-SHA-512\): check KAFKA_SASL_USERNAME \/ KAFKA_SASL_PASSWORD /,
    );
  });

  it("a broker certificate the client does not trust (no KAFKA_TLS_CA_FILE: system CAs)", async () => {
    const error = await startupRefusal({ ...secureEnv(), KAFKA_TLS_CA_FILE: undefined });
    expect(error.message).toMatch(
      /presented a TLS certificate that is not trusted .*check KAFKA_TLS_CA_FILE/,
    );
  });

  it("a SASL mechanism the listener does not offer", async () => {
    const error = await startupRefusal({ ...secureEnv(), KAFKA_SASL_MECHANISM: "plain" });
    expect(error.message).toMatch(/refused SASL PLAIN on this listener \(UNSUPPORTED_SASL_MECHANISM\)/);
  });

  it("plaintext to the SASL_SSL listener (after a few attempts, as the broker closes each connection)", async () => {
    const error = await startupRefusal({
      ...secureEnv(),
      KAFKA_TLS: undefined,
      KAFKA_TLS_CA_FILE: undefined,
      KAFKA_TLS_CERT_FILE: undefined,
      KAFKA_TLS_KEY_FILE: undefined,
    });
    expect(error.message).toMatch(
      /closes the connection as soon as it is opened .*no KAFKA_TLS: does this listener want TLS\?/,
    );
  });

  it("no client certificate for a listener that requires one", async () => {
    const error = await startupRefusal({
      ...secureEnv(),
      KAFKA_TLS_CERT_FILE: undefined,
      KAFKA_TLS_KEY_FILE: undefined,
    });
    expect(error.message).toMatch(/refused the TLS handshake .*KAFKA_TLS_CERT_FILE/);
  });
});

describe("Redis refuses a wrong transport configuration, and start-up says what to fix at once", () => {
  it("a wrong password", async () => {
    const error = await startupRefusal({ ...secureEnv(), REDIS_PASSWORD_FILE: pki.file("wrong-password") });
    expect(error.message).toBe(
      "Redis refused the credentials of user argus (WRONGPASS): check REDIS_USERNAME / REDIS_PASSWORD_FILE",
    );
  });

  it("a wrong password inside REDIS_URL (which is never echoed)", async () => {
    const error = await startupRefusal({
      ...secureEnv(),
      REDIS_URL: `rediss://${user}:${wrongPassword}@${redisHostPort}`,
      REDIS_USERNAME: undefined,
      REDIS_PASSWORD_FILE: undefined,
    });
    expect(error.message).toBe("Redis refused the credentials of user argus (WRONGPASS): check REDIS_URL");
  });

  it("no credentials while the default user is off", async () => {
    const error = await startupRefusal({
      ...secureEnv(),
      REDIS_USERNAME: undefined,
      REDIS_PASSWORD_FILE: undefined,
    });
    expect(error.message).toMatch(/requires authentication \(NOAUTH\)/);
  });

  it("plaintext to the TLS port", async () => {
    const error = await startupRefusal({
      ...secureEnv(),
      REDIS_URL: `redis://${redisHostPort}`,
      REDIS_TLS_CA_FILE: undefined,
      REDIS_TLS_CERT_FILE: undefined,
      REDIS_TLS_KEY_FILE: undefined,
    });
    expect(error.message).toMatch(
      /closed the connection without answering: if it only accepts TLS, use a rediss:\/\//,
    );
  });

  it("a server certificate the client does not trust (no REDIS_TLS_CA_FILE: system CAs)", async () => {
    const error = await startupRefusal({ ...secureEnv(), REDIS_TLS_CA_FILE: undefined });
    expect(error.message).toMatch(
      /presented a TLS certificate that is not trusted .*check REDIS_TLS_CA_FILE/,
    );
  });
});
