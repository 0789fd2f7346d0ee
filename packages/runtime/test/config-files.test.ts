import { describe, expect, it } from "vitest";
import { z } from "zod";
import { baseConfigSchema, baseConfigShape, ConfigError, loadConfig } from "../src/config.js";

const minimal = { KAFKA_BROKERS: "kafka-0:9092", REDIS_URL: "redis://redis:6379", GRPC_PLAINTEXT: "true" };
const jwt = { ARGUS_JWT_ISSUER: "https://idp.example", ARGUS_JWT_AUDIENCE: "argus" };
const hs256Secret = "0123456789abcdef0123456789abcdef";

/** Files as Kubernetes mounts them from a Secret: path → content; any other path does not exist. */
function files(contents: Record<string, string>) {
  return (path: string): string => {
    const content = contents[path];
    if (content === undefined)
      throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: "ENOENT" });
    return content;
  };
}

function errorFor(
  env: NodeJS.ProcessEnv,
  read: (path: string) => string,
  schema: z.ZodType = baseConfigSchema,
): string {
  try {
    loadConfig(schema, env, read);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe("loadConfig with X_FILE variables", () => {
  it("reads a secret from the file its _FILE variable names, without the file's trailing newline", () => {
    const config = loadConfig(
      baseConfigSchema,
      { ...minimal, ...jwt, ARGUS_JWT_HS256_SECRET_FILE: "/etc/argus/secrets/jwt-secret" },
      files({ "/etc/argus/secrets/jwt-secret": `${hs256Secret}\n` }),
    );
    expect(config.ARGUS_JWT_HS256_SECRET).toBe(hs256Secret);
  });

  it("reads a service's own variables from files too, through a schema with refinements and transforms", () => {
    const schema = z
      .object({ ...baseConfigShape, ANOMALY_FINGERPRINT_SALT: z.string().min(16) })
      .transform((config) => ({ ...config, salted: true }));
    const config = loadConfig(
      schema,
      {
        KAFKA_BROKERS: "kafka-0:9092",
        GRPC_PLAINTEXT: "true",
        ANOMALY_FINGERPRINT_SALT_FILE: "/s/salt",
        REDIS_URL_FILE: "/s/redis-url",
      },
      files({ "/s/salt": "  a-salt-of-sixteen-chars  \n", "/s/redis-url": "redis://argus:pw@redis:6379\n" }),
    );
    expect(config.ANOMALY_FINGERPRINT_SALT).toBe("a-salt-of-sixteen-chars");
    // A variable given directly may come from a file as well (REDIS_URL with a password in it).
    expect(config.REDIS_URL).toBe("redis://argus:pw@redis:6379");
  });

  it("refuses a variable given both directly and as a file, naming both", () => {
    const message = errorFor(
      { ...minimal, ARGUS_API_KEYS: "[]", ARGUS_API_KEYS_FILE: "/s/keys" },
      files({ "/s/keys": "[]" }),
    );
    expect(message).toContain("  ARGUS_API_KEYS_FILE: and ARGUS_API_KEYS: set one, not both");
  });

  it("names the variable and the path of a file that cannot be read or is empty, and nothing else", () => {
    const missing = errorFor(
      { KAFKA_BROKERS: "k:9092", GRPC_PLAINTEXT: "true", REDIS_URL_FILE: "/nope" },
      files({}),
    );
    expect(missing).toContain("  REDIS_URL_FILE: cannot read /nope (ENOENT)");
    // REDIS_URL is not reported as not set on top: the operator set it, through the file.
    expect(missing).not.toContain("REDIS_URL:");
    const empty = errorFor(
      { ...minimal, ...jwt, ARGUS_JWT_HS256_SECRET_FILE: "/s/empty" },
      files({ "/s/empty": " \n" }),
    );
    expect(empty).toContain("  ARGUS_JWT_HS256_SECRET_FILE: /s/empty is empty");
  });

  it("says which file a refused value came from, never its content", () => {
    const message = errorFor(
      { ...minimal, ...jwt, ARGUS_JWT_HS256_SECRET_FILE: "/s/jwt" },
      files({ "/s/jwt": "short-secret-of-31-bytes-xxxxxx" }),
    );
    expect(message).toContain(
      "  ARGUS_JWT_HS256_SECRET: must be at least 32 bytes (read from ARGUS_JWT_HS256_SECRET_FILE)",
    );
    expect(message).not.toContain("short-secret");
  });

  it("leaves variables that are file paths alone, KAFKA_SASL_PASSWORD_FILE included", () => {
    const config = loadConfig(
      baseConfigSchema,
      {
        ...minimal,
        KAFKA_SASL_MECHANISM: "scram-sha-512",
        KAFKA_SASL_USERNAME: "argus",
        KAFKA_SASL_PASSWORD_FILE: "/etc/argus/kafka/password",
      },
      files({}),
    );
    // The Kafka client reads that file itself (and says which variable named it); the loader keeps the path.
    expect(config.KAFKA_SASL_PASSWORD_FILE).toBe("/etc/argus/kafka/password");
    expect(config.KAFKA_SASL_PASSWORD).toBeUndefined();
  });

  it("ignores _FILE variables of names the schema does not have", () => {
    const config = loadConfig(baseConfigSchema, { ...minimal, SOMETHING_ELSE_FILE: "/nope" }, files({}));
    expect(config.KAFKA_BROKERS).toEqual(["kafka-0:9092"]);
  });
});
