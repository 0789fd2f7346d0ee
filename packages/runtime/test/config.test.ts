import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  assertBaseConfig,
  baseConfigSchema,
  baseConfigShape,
  ConfigError,
  loadConfig,
} from "../src/config.js";

const minimal = { KAFKA_BROKERS: "kafka-0:9092", REDIS_URL: "redis://redis:6379", GRPC_PLAINTEXT: "true" };

/** The ConfigError's message for `env`; fails the test when the env is accepted. */
function errorFor(env: NodeJS.ProcessEnv, schema: z.ZodType = baseConfigSchema): string {
  try {
    loadConfig(schema, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

/** The message line that names `variable`, so assertions do not pass on another variable's line. */
function lineFor(message: string, variable: string): string {
  const line = message.split("\n").find((candidate) => candidate.trimStart().startsWith(`${variable}:`));
  if (line === undefined) throw new Error(`no line names ${variable} in:\n${message}`);
  return line;
}

describe("loadConfig", () => {
  it("names every missing required variable and says it is not set", () => {
    const message = errorFor({});
    expect(message).toMatch(/^invalid configuration:/);
    expect(lineFor(message, "KAFKA_BROKERS")).toContain("(not set)");
    expect(lineFor(message, "REDIS_URL")).toContain("(not set)");
    // Only the two required variables are wrong: everything else has a default.
    expect(message.split("\n").filter((line) => line.startsWith("  "))).toHaveLength(2);
  });

  it("names only the variable that is wrong when the others are fine", () => {
    const message = errorFor({ REDIS_URL: "redis://redis:6379" });
    expect(lineFor(message, "KAFKA_BROKERS")).toContain("(not set)");
    expect(message).not.toContain("REDIS_URL");
  });

  it("rejects a REDIS_URL that is not redis:// or rediss://", () => {
    const message = errorFor({ ...minimal, REDIS_URL: "http://x" });
    expect(lineFor(message, "REDIS_URL")).toContain("must be a redis:// or rediss:// URL");
    // It is set, just wrong: the message must not send the operator looking for a missing variable.
    expect(lineFor(message, "REDIS_URL")).not.toContain("(not set)");
    expect(
      loadConfig(baseConfigSchema, { ...minimal, REDIS_URL: "rediss://user:pw@redis:6380/2" }).REDIS_URL,
    ).toBe("rediss://user:pw@redis:6380/2");
  });

  it("rejects a port out of range, naming the variable and the limit", () => {
    const message = errorFor({ ...minimal, GRPC_PORT: "99999" });
    expect(lineFor(message, "GRPC_PORT")).toContain("65535");
    expect(message).not.toContain("HTTP_PORT");
    expect(lineFor(errorFor({ ...minimal, HTTP_PORT: "-1" }), "HTTP_PORT")).toBeTruthy();
  });

  it("does not call a set but non-numeric port 'not set'", () => {
    const line = lineFor(errorFor({ ...minimal, GRPC_PORT: "abc" }), "GRPC_PORT");
    expect(line).toContain("expected number");
    expect(line).not.toContain("(not set)");
  });

  it("lists several bad variables at once, one line each", () => {
    const message = errorFor({
      KAFKA_BROKERS: "k:9092",
      REDIS_URL: "http://x",
      GRPC_PORT: "99999",
      LOG_LEVEL: "loud",
    });
    for (const variable of ["REDIS_URL", "GRPC_PORT", "LOG_LEVEL"])
      expect(lineFor(message, variable)).toBeTruthy();
    expect(message).not.toContain("KAFKA_BROKERS");
  });

  it("applies the defaults when only the required variables are set", () => {
    const config = loadConfig(baseConfigSchema, minimal);
    expect(config).toEqual({
      KAFKA_BROKERS: ["kafka-0:9092"],
      REDIS_URL: "redis://redis:6379",
      KAFKA_TOPIC_PARTITIONS: 6,
      KAFKA_REPLICATION_FACTOR: 1,
      KAFKA_SESSION_TIMEOUT_MS: 30_000,
      KAFKA_TLS: false,
      ARGUS_TOPIC_PREFIX: "",
      ARGUS_REDIS_PREFIX: "argus",
      GRPC_HOST: "0.0.0.0",
      GRPC_PORT: 50051,
      GRPC_REFLECTION: true,
      HTTP_HOST: "0.0.0.0",
      HTTP_PORT: 9464,
      LOG_LEVEL: "info",
      ARGUS_API_KEYS: "[]",
      ARGUS_JWT_CLOCK_SKEW_S: 30,
      GRPC_TLS_CLIENT_CERT: "none",
      ARGUS_MTLS_PRINCIPALS: "[]",
      GRPC_ANONYMOUS_HEALTH: true,
      GRPC_PLAINTEXT: true,
      GRPC_RATE_LIMIT_BURST: 2_000,
      GRPC_RATE_LIMIT_PER_SECOND: 1_000,
      GRPC_RATE_LIMITS: {},
      ARGUS_TRACES_EXPORTER: "none",
      SHUTDOWN_TIMEOUT_MS: 25_000,
    });
    expect(config.KAFKA_CLIENT_ID).toBeUndefined();
  });

  it("refuses to serve gRPC without TLS unless GRPC_PLAINTEXT says so", () => {
    const { GRPC_PLAINTEXT: _plaintext, ...withoutFlag } = minimal;
    expect(lineFor(errorFor(withoutFlag), "GRPC_TLS_CERT_FILE")).toMatch(
      /GRPC_PLAINTEXT=true serves without TLS/,
    );
    const withTls = {
      ...withoutFlag,
      GRPC_TLS_CERT_FILE: "/tls/server.crt",
      GRPC_TLS_KEY_FILE: "/tls/server.key",
    };
    expect(loadConfig(baseConfigSchema, withTls).GRPC_PLAINTEXT).toBe(false);
  });

  it("reads per-method rate limits and names a bad table", () => {
    const config = loadConfig(baseConfigSchema, {
      ...minimal,
      GRPC_RATE_LIMITS: '{"/argus.v1.AnomalyService/ScreenInput": {"burst": 5000, "perSecond": 2000}}',
    });
    expect(config.GRPC_RATE_LIMITS).toEqual({
      "/argus.v1.AnomalyService/ScreenInput": { burst: 5000, perSecond: 2000 },
    });
    for (const bad of [
      "{",
      '{"ScreenInput": {"burst": 1, "perSecond": 1}}',
      '{"/a.B/C": {"burst": 0, "perSecond": 1}}',
    ]) {
      expect(lineFor(errorFor({ ...minimal, GRPC_RATE_LIMITS: bad }), "GRPC_RATE_LIMITS"), bad).toBeTruthy();
    }
  });

  it("coerces numbers and booleans from their string form", () => {
    const config = loadConfig(baseConfigSchema, {
      ...minimal,
      GRPC_PORT: "7000",
      KAFKA_TOPIC_PARTITIONS: "12",
      GRPC_REFLECTION: "false",
    });
    expect(config.GRPC_PORT).toBe(7000);
    expect(config.KAFKA_TOPIC_PARTITIONS).toBe(12);
    expect(config.GRPC_REFLECTION).toBe(false);
    expect(lineFor(errorFor({ ...minimal, GRPC_REFLECTION: "maybe" }), "GRPC_REFLECTION")).toBeTruthy();
  });

  it("trims the broker list and drops empty entries", () => {
    const config = loadConfig(baseConfigSchema, {
      ...minimal,
      KAFKA_BROKERS: " kafka-0:9092 ,kafka-1:9092,, kafka-2:9092 ",
    });
    expect(config.KAFKA_BROKERS).toEqual(["kafka-0:9092", "kafka-1:9092", "kafka-2:9092"]);
  });

  it("rejects a broker list with no broker in it", () => {
    expect(lineFor(errorFor({ ...minimal, KAFKA_BROKERS: " , ," }), "KAFKA_BROKERS")).toContain(
      "must name at least one host:port",
    );
  });

  it("rejects prefixes with characters that are not safe in topic names and Redis keys", () => {
    expect(lineFor(errorFor({ ...minimal, ARGUS_TOPIC_PREFIX: "a b" }), "ARGUS_TOPIC_PREFIX")).toContain(
      "may contain only",
    );
    expect(
      lineFor(errorFor({ ...minimal, ARGUS_REDIS_PREFIX: "argus:x" }), "ARGUS_REDIS_PREFIX"),
    ).toBeTruthy();
  });

  it("reads a service's extended schema and names the service's own variables", () => {
    const schema = z.object({ ...baseConfigShape, ALERTER_WEBHOOK_URL: z.url() });
    expect(lineFor(errorFor(minimal, schema), "ALERTER_WEBHOOK_URL")).toContain("(not set)");
    expect(
      loadConfig(schema, { ...minimal, ALERTER_WEBHOOK_URL: "https://hooks.example/x" }).ALERTER_WEBHOOK_URL,
    ).toBe("https://hooks.example/x");
  });

  describe("JWT and TLS settings", () => {
    const secret = "0123456789abcdef0123456789abcdef"; // 32 bytes
    const jwt = { ARGUS_JWT_ISSUER: "https://idp.example", ARGUS_JWT_AUDIENCE: "argus" };
    const tls = { GRPC_TLS_CERT_FILE: "/tls/server.crt", GRPC_TLS_KEY_FILE: "/tls/server.key" };

    it("accepts a JWT source with its issuer and audience", () => {
      const config = loadConfig(baseConfigSchema, { ...minimal, ...jwt, ARGUS_JWT_HS256_SECRET: secret });
      expect(config.ARGUS_JWT_HS256_SECRET).toBe(secret);
      expect(config.ARGUS_JWT_CLOCK_SKEW_S).toBe(30);
      const jwks = loadConfig(baseConfigSchema, {
        ...minimal,
        ...jwt,
        ARGUS_JWT_JWKS_FILE: "/etc/argus/jwks.json",
        ARGUS_JWT_CLOCK_SKEW_S: "0",
      });
      expect(jwks.ARGUS_JWT_CLOCK_SKEW_S).toBe(0);
    });

    it("refuses a secret shorter than 32 bytes without printing it", () => {
      const message = errorFor({
        ...minimal,
        ...jwt,
        ARGUS_JWT_HS256_SECRET: "short-secret-31-bytes-long-xxxx",
      });
      expect(lineFor(message, "ARGUS_JWT_HS256_SECRET")).toContain("at least 32 bytes");
      expect(message).not.toContain("short-secret");
    });

    it("requires the issuer and the audience when either JWT source is set", () => {
      const message = errorFor({ ...minimal, ARGUS_JWT_JWKS_FILE: "/etc/argus/jwks.json" });
      expect(lineFor(message, "ARGUS_JWT_ISSUER")).toContain("is required when");
      expect(lineFor(message, "ARGUS_JWT_ISSUER")).toContain("(not set)");
      expect(lineFor(message, "ARGUS_JWT_AUDIENCE")).toContain("is required when");
      const noAudience = errorFor({
        ...minimal,
        ARGUS_JWT_HS256_SECRET: secret,
        ARGUS_JWT_ISSUER: "https://idp.example",
      });
      expect(lineFor(noAudience, "ARGUS_JWT_AUDIENCE")).toBeTruthy();
      expect(noAudience).not.toContain("ARGUS_JWT_ISSUER:");
    });

    it("refuses an issuer or audience without a JWT source (tokens would all be refused)", () => {
      expect(lineFor(errorFor({ ...minimal, ...jwt }), "ARGUS_JWT_AUDIENCE")).toContain("has no effect");
    });

    it("bounds the clock skew to 0..300 seconds", () => {
      const base = { ...minimal, ...jwt, ARGUS_JWT_HS256_SECRET: secret };
      expect(
        lineFor(errorFor({ ...base, ARGUS_JWT_CLOCK_SKEW_S: "301" }), "ARGUS_JWT_CLOCK_SKEW_S"),
      ).toContain("300");
      expect(
        lineFor(errorFor({ ...base, ARGUS_JWT_CLOCK_SKEW_S: "-1" }), "ARGUS_JWT_CLOCK_SKEW_S"),
      ).toBeTruthy();
      expect(
        loadConfig(baseConfigSchema, { ...base, ARGUS_JWT_CLOCK_SKEW_S: "300" }).ARGUS_JWT_CLOCK_SKEW_S,
      ).toBe(300);
    });

    it("wants the TLS certificate and key together", () => {
      expect(
        lineFor(errorFor({ ...minimal, GRPC_TLS_CERT_FILE: "/tls/server.crt" }), "GRPC_TLS_KEY_FILE"),
      ).toContain("is required when GRPC_TLS_CERT_FILE is set");
      expect(
        lineFor(errorFor({ ...minimal, GRPC_TLS_KEY_FILE: "/tls/server.key" }), "GRPC_TLS_CERT_FILE"),
      ).toContain("is required when GRPC_TLS_KEY_FILE is set");
      expect(loadConfig(baseConfigSchema, { ...minimal, ...tls }).GRPC_TLS_CLIENT_CERT).toBe("none");
    });

    it("wants a client CA for client certificates, and client certificates for a client CA", () => {
      const optional = errorFor({ ...minimal, ...tls, GRPC_TLS_CLIENT_CERT: "optional" });
      expect(lineFor(optional, "GRPC_TLS_CLIENT_CA_FILE")).toContain("is required when GRPC_TLS_CLIENT_CERT");
      const caOnly = errorFor({ ...minimal, ...tls, GRPC_TLS_CLIENT_CA_FILE: "/tls/ca.crt" });
      expect(lineFor(caOnly, "GRPC_TLS_CLIENT_CERT")).toContain("must be optional or require");
      const noTls = errorFor({
        ...minimal,
        GRPC_TLS_CLIENT_CERT: "require",
        GRPC_TLS_CLIENT_CA_FILE: "/tls/ca.crt",
      });
      expect(lineFor(noTls, "GRPC_TLS_CLIENT_CERT")).toContain("needs GRPC_TLS_CERT_FILE");
      expect(
        lineFor(errorFor({ ...minimal, GRPC_TLS_CLIENT_CERT: "sometimes" }), "GRPC_TLS_CLIENT_CERT"),
      ).toBeTruthy();
      const config = loadConfig(baseConfigSchema, {
        ...minimal,
        ...tls,
        GRPC_TLS_CLIENT_CERT: "require",
        GRPC_TLS_CLIENT_CA_FILE: "/tls/ca.crt",
      });
      expect(config.GRPC_TLS_CLIENT_CERT).toBe("require");
    });

    it("refuses certificate principals when no client certificate is asked for", () => {
      const principals = JSON.stringify([
        { subject: "svc", principal: "svc", tenant: "acme", roles: ["viewer"] },
      ]);
      expect(
        lineFor(errorFor({ ...minimal, ...tls, ARGUS_MTLS_PRINCIPALS: principals }), "ARGUS_MTLS_PRINCIPALS"),
      ).toContain("needs GRPC_TLS_CLIENT_CERT");
    });

    it("reads GRPC_ANONYMOUS_HEALTH as a boolean", () => {
      expect(
        loadConfig(baseConfigSchema, { ...minimal, GRPC_ANONYMOUS_HEALTH: "false" }).GRPC_ANONYMOUS_HEALTH,
      ).toBe(false);
      expect(
        lineFor(errorFor({ ...minimal, GRPC_ANONYMOUS_HEALTH: "perhaps" }), "GRPC_ANONYMOUS_HEALTH"),
      ).toBeTruthy();
    });

    it("checks the same rules for a service's own schema at start-up (assertBaseConfig)", () => {
      const schema = z.object({ ...baseConfigShape, EXTRA: z.string().default("x") });
      const config = loadConfig(schema, { ...minimal, GRPC_TLS_CERT_FILE: "/tls/server.crt" });
      expect(() => assertBaseConfig(config)).toThrow(ConfigError);
      expect(() => assertBaseConfig(config)).toThrow(
        /GRPC_TLS_KEY_FILE: is required when GRPC_TLS_CERT_FILE/,
      );
      expect(() => assertBaseConfig(loadConfig(schema, minimal))).not.toThrow();
    });
  });
});
