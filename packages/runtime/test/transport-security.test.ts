import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import kafkajs from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { baseConfigSchema, baseConfigShape, ConfigError, loadConfig } from "../src/config.js";
import { createKafka, kafkaAccessError, kafkaClientConfig, kafkaSecurityFromConfig } from "../src/kafka.js";
import { createLogger } from "../src/logger.js";
import { createRedis, redisSecurityFromConfig } from "../src/redis.js";
import { startService } from "../src/service.js";
import { readSecretFile, tlsFailure } from "../src/transport-security.js";

// How the Kafka and Redis transport variables become kafkajs and ioredis options, and what start-up
// says when they are wrong. The servers that enforce them are in transport-security.int.test.ts.

const secret = "s3cret-Passw0rd-that-must-never-show";
const dir = mkdtempSync(join(tmpdir(), "argus-transport-unit-"));
const file = (name: string) => join(dir, name);
writeFileSync(file("password"), `${secret}\n`);
writeFileSync(file("empty"), "\n");
writeFileSync(file("not-pem"), "hello\n");
writeFileSync(file("req.cnf"), "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n");
execFileSync(
  "openssl",
  ["req", "-config", file("req.cnf"), "-x509", "-noenc", "-days", "1", "-newkey", "ec"]
    .concat([
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-keyout",
      file("client.key"),
      "-out",
      file("client.crt"),
    ])
    .concat(["-subj", "/CN=argus"]),
  { stdio: "pipe" },
);
// Any certificate serves as a CA bundle here: only how it is passed on is checked.
const caFile = file("client.crt");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const minimal = { KAFKA_BROKERS: "kafka-0:9093", REDIS_URL: "redis://redis:6379", GRPC_PLAINTEXT: "true" };
const silent = createLogger("transport-unit", "silent");

function issuesOf(env: Record<string, string>): string {
  try {
    loadConfig(baseConfigSchema, { ...minimal, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  return "";
}

describe("transport variables are checked together at start-up", () => {
  it("takes a complete SASL + TLS configuration for Kafka and Redis", () => {
    expect(
      issuesOf({
        KAFKA_SASL_MECHANISM: "scram-sha-512",
        KAFKA_SASL_USERNAME: "argus",
        KAFKA_SASL_PASSWORD_FILE: file("password"),
        KAFKA_TLS: "true",
        KAFKA_TLS_CA_FILE: caFile,
        REDIS_URL: "rediss://redis:6380",
        REDIS_USERNAME: "argus",
        REDIS_PASSWORD_FILE: file("password"),
        REDIS_TLS_CA_FILE: caFile,
      }),
    ).toBe("");
  });

  it("names a SASL mechanism it does not know", () => {
    expect(issuesOf({ KAFKA_SASL_MECHANISM: "gssapi" })).toMatch(/KAFKA_SASL_MECHANISM: Invalid option/);
  });

  it("wants a user and one password source with a mechanism", () => {
    const message = issuesOf({ KAFKA_SASL_MECHANISM: "scram-sha-256" });
    expect(message).toMatch(/KAFKA_SASL_USERNAME: is required when KAFKA_SASL_MECHANISM is scram-sha-256/);
    expect(message).toMatch(/KAFKA_SASL_PASSWORD: or KAFKA_SASL_PASSWORD_FILE is required/);
    expect(
      issuesOf({
        KAFKA_SASL_MECHANISM: "plain",
        KAFKA_SASL_USERNAME: "argus",
        KAFKA_SASL_PASSWORD: secret,
        KAFKA_SASL_PASSWORD_FILE: file("password"),
      }),
    ).toMatch(/KAFKA_SASL_PASSWORD_FILE: and KAFKA_SASL_PASSWORD: set one, not both/);
  });

  it("refuses credentials that nothing would use, without echoing them", () => {
    const message = issuesOf({ KAFKA_SASL_USERNAME: "argus", KAFKA_SASL_PASSWORD: secret });
    expect(message).toMatch(/KAFKA_SASL_USERNAME: has no effect without KAFKA_SASL_MECHANISM/);
    expect(message).toMatch(/KAFKA_SASL_PASSWORD: has no effect without KAFKA_SASL_MECHANISM/);
    expect(message).not.toContain(secret);
  });

  it("refuses Kafka TLS files without KAFKA_TLS, and a certificate without its key", () => {
    expect(issuesOf({ KAFKA_TLS_CA_FILE: caFile })).toMatch(
      /KAFKA_TLS_CA_FILE: has no effect without KAFKA_TLS=true/,
    );
    expect(issuesOf({ KAFKA_TLS: "true", KAFKA_TLS_CERT_FILE: caFile })).toMatch(
      /KAFKA_TLS_KEY_FILE: is required when KAFKA_TLS_CERT_FILE is set/,
    );
  });

  it("wants each Redis credential in one place, and TLS files only with rediss://", () => {
    const withUrlCredentials = { REDIS_URL: `redis://argus:${encodeURIComponent(secret)}@redis:6379` };
    const message = issuesOf({
      ...withUrlCredentials,
      REDIS_USERNAME: "argus",
      REDIS_PASSWORD_FILE: file("password"),
    });
    expect(message).toMatch(/REDIS_USERNAME: and a user in REDIS_URL: set one, not both/);
    expect(message).toMatch(/REDIS_PASSWORD_FILE: and a password in REDIS_URL: set one, not both/);
    expect(message).not.toContain(secret);
    expect(issuesOf({ REDIS_USERNAME: "argus" })).toMatch(
      /REDIS_PASSWORD_FILE: is required when REDIS_USERNAME/,
    );
    expect(issuesOf({ REDIS_TLS_CA_FILE: caFile })).toMatch(
      /REDIS_TLS_CA_FILE: has no effect without a rediss:\/\/ REDIS_URL/,
    );
  });

  it("stops startService before it connects when a password file cannot be read", async () => {
    // A service's schema spreads baseConfigShape, so startService itself must apply these rules.
    const config = loadConfig(z.object({ ...baseConfigShape }), {
      KAFKA_BROKERS: "127.0.0.1:1",
      REDIS_URL: "redis://127.0.0.1:1",
      GRPC_PLAINTEXT: "true",
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      KAFKA_SASL_USERNAME: "argus",
      KAFKA_SASL_PASSWORD_FILE: "/nonexistent/kafka-password",
    });
    const started = startService("transport-unit", config, async () => ({}), { logger: silent });
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow(
      /^KAFKA_SASL_PASSWORD_FILE: cannot read \/nonexistent\/kafka-password \(ENOENT\)/,
    );
  });
});

describe("password and PEM files", () => {
  it("drops the one trailing newline of a password file, and names the variable of a bad file", () => {
    expect(readSecretFile("X_PASSWORD_FILE", file("password"))).toBe(secret);
    expect(() => readSecretFile("X_PASSWORD_FILE", file("empty"))).toThrow(
      /^X_PASSWORD_FILE: .*empty is empty$/,
    );
    expect(() => kafkaSecurityFromConfig({ KAFKA_TLS: true, KAFKA_TLS_CA_FILE: file("not-pem") })).toThrow(
      /^KAFKA_TLS_CA_FILE: .*not-pem is not PEM$/,
    );
    expect(() =>
      redisSecurityFromConfig({
        REDIS_URL: "rediss://redis:6380",
        REDIS_TLS_CERT_FILE: file("client.crt"),
        REDIS_TLS_KEY_FILE: file("not-pem"),
      }),
    ).toThrow(/^REDIS_TLS_KEY_FILE: .*not-pem is not PEM$/);
  });
});

describe("kafkajs options from the environment", () => {
  const optionsFor = (env: Record<string, string>) => {
    const config = loadConfig(baseConfigSchema, { ...minimal, ...env });
    return kafkaClientConfig({
      brokers: config.KAFKA_BROKERS,
      clientId: "unit",
      logger: silent,
      security: kafkaSecurityFromConfig(config),
    });
  };

  it("carry SASL/SCRAM and TLS with the CA bundle and client certificate", () => {
    const options = optionsFor({
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      KAFKA_SASL_USERNAME: "argus",
      KAFKA_SASL_PASSWORD_FILE: file("password"),
      KAFKA_TLS: "true",
      KAFKA_TLS_CA_FILE: caFile,
      KAFKA_TLS_CERT_FILE: file("client.crt"),
      KAFKA_TLS_KEY_FILE: file("client.key"),
    });
    expect(options.sasl).toEqual({ mechanism: "scram-sha-512", username: "argus", password: secret });
    expect(options.ssl).toEqual({
      ca: readFileSync(caFile),
      cert: readFileSync(file("client.crt")),
      key: readFileSync(file("client.key")),
    });
  });

  it("use the system CAs with KAFKA_TLS alone, and neither SASL nor TLS by default", () => {
    expect(optionsFor({ KAFKA_TLS: "true" }).ssl).toEqual({});
    const plain = optionsFor({});
    expect(plain.ssl).toBeUndefined();
    expect(plain.sasl).toBeUndefined();
  });

  it("warn when a PLAIN password would cross the network in clear text", () => {
    const lines: string[] = [];
    const logger = createLogger(
      "transport-unit",
      "warn",
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    createKafka({
      brokers: ["kafka-0:9093"],
      clientId: "unit",
      logger,
      security: { sasl: { mechanism: "plain", username: "argus", password: secret, passwordVariable: "X" } },
    });
    expect(lines.join("")).toMatch(/KAFKA_SASL_MECHANISM=plain without KAFKA_TLS/);
    expect(lines.join("")).not.toContain(secret);
  });
});

describe("ioredis options from the environment", () => {
  it("take the user and password file, and TLS with the CA for rediss://", () => {
    const config = loadConfig(baseConfigSchema, {
      ...minimal,
      REDIS_URL: "rediss://redis:6380/2",
      REDIS_USERNAME: "argus",
      REDIS_PASSWORD_FILE: file("password"),
      REDIS_TLS_CA_FILE: caFile,
    });
    const security = redisSecurityFromConfig(config);
    expect(security.credentialsFrom).toBe("REDIS_USERNAME / REDIS_PASSWORD_FILE");
    const redis = createRedis(config.REDIS_URL, silent, security);
    expect(redis.options).toMatchObject({
      host: "redis",
      port: 6380,
      db: 2,
      username: "argus",
      password: secret,
      tls: { ca: readFileSync(caFile) },
    });
    redis.disconnect();
  });

  it("leave credentials in the URL as they are, and add no TLS to redis://", () => {
    const config = loadConfig(baseConfigSchema, { ...minimal, REDIS_URL: "redis://argus:pw@redis:6379" });
    const security = redisSecurityFromConfig(config);
    expect(security).toEqual({ credentialsFrom: "REDIS_URL" });
    const redis = createRedis(config.REDIS_URL, silent, security);
    expect(redis.options).toMatchObject({ username: "argus", password: "pw" });
    expect(redis.options.tls).toBeUndefined();
    redis.disconnect();
  });
});

describe("refusals that retrying cannot cure become ConfigErrors naming what to check", () => {
  const options = {
    brokers: ["kafka-0:9093"],
    clientId: "unit",
    logger: silent,
    security: {
      sasl: {
        mechanism: "scram-sha-512" as const,
        username: "argus",
        password: secret,
        passwordVariable: "KAFKA_SASL_PASSWORD_FILE",
      },
      tls: {},
    },
  };

  it("a SASL authentication failure, however deeply kafkajs wraps it", () => {
    // kafkajs' types declare no message argument for this error; its name is what counts.
    const failure = Object.assign(new Error("SASL SCRAM SHA512 authentication failed: bad"), {
      name: "KafkaJSSASLAuthenticationError",
    });
    const wrapped = new kafkajs.KafkaJSNumberOfRetriesExceeded(failure, { retryCount: 0, retryTime: 0 });
    const error = kafkaAccessError(wrapped, options);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(
      /^Kafka authentication failed for user argus \(SCRAM-SHA-512\): check KAFKA_SASL_USERNAME \/ KAFKA_SASL_PASSWORD_FILE/,
    );
    expect(error?.message).not.toContain(secret);
  });

  it("an untrusted certificate, but not a broker that is down", () => {
    const untrusted = new kafkajs.KafkaJSConnectionError("Connection error: self-signed certificate", {
      broker: "kafka-0:9093",
      code: "SELF_SIGNED_CERT_IN_CHAIN",
    });
    expect(kafkaAccessError(untrusted, options)?.message).toMatch(
      /^Kafka broker kafka-0:9093 presented a TLS certificate that is not trusted .*KAFKA_TLS_CA_FILE/,
    );
    const refused = new kafkajs.KafkaJSConnectionError("Connection error: connect ECONNREFUSED", {
      broker: "kafka-0:9093",
      code: "ECONNREFUSED",
    });
    expect(kafkaAccessError(refused, options)).toBeUndefined();
  });

  it("classifies TLS error codes", () => {
    expect(tlsFailure("UNABLE_TO_VERIFY_LEAF_SIGNATURE")).toBe("untrusted");
    expect(tlsFailure("ERR_TLS_CERT_ALTNAME_INVALID")).toBe("wrong-name");
    expect(tlsFailure("ERR_SSL_WRONG_VERSION_NUMBER")).toBe("not-tls");
    expect(tlsFailure("ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE")).toBe("refused");
    expect(tlsFailure("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED")).toBe("refused");
    expect(tlsFailure("ECONNRESET")).toBeUndefined();
  });
});
