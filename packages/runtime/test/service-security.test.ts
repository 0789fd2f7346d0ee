import { describe, expect, it } from "vitest";
import { z } from "zod";
import { baseConfigSchema, baseConfigShape, ConfigError, loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { startService } from "../src/service.js";

// startService checks credentials and TLS before it connects to anything: these brokers and this
// Redis do not exist, and every case must fail with a ConfigError (exit 78) naming the variable.
const env = {
  KAFKA_BROKERS: "127.0.0.1:1",
  REDIS_URL: "redis://127.0.0.1:1",
  LOG_LEVEL: "silent",
  GRPC_PLAINTEXT: "true",
};
const logger = createLogger("service-security-test", "silent");

async function startupError(extra: Record<string, string>): Promise<ConfigError> {
  // A service's own schema spreads baseConfigShape and so skips the rules between base variables.
  const schema = z.object({ ...baseConfigShape });
  const config = loadConfig(schema, { ...env, ...extra });
  let wired = false;
  try {
    await startService(
      "security-test",
      config,
      async () => {
        wired = true;
        return {};
      },
      { logger },
    );
  } catch (error) {
    expect(wired).toBe(false);
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected start-up to fail");
}

describe("startService refuses a wrong security configuration before connecting", () => {
  it("applies the rules between variables that a service's own schema cannot carry", async () => {
    const error = await startupError({ ARGUS_JWT_HS256_SECRET: "0123456789abcdef0123456789abcdef" });
    expect(error.message).toMatch(/ARGUS_JWT_ISSUER: is required when/);
    expect(error.message).toMatch(/ARGUS_JWT_AUDIENCE: is required when/);
    // The base schema itself says the same at loadConfig.
    expect(() =>
      loadConfig(baseConfigSchema, { ...env, ARGUS_JWT_HS256_SECRET: "0123456789abcdef0123456789abcdef" }),
    ).toThrow(/ARGUS_JWT_ISSUER/);
  });

  it("names ARGUS_JWT_JWKS_FILE when the key set cannot be read", async () => {
    const error = await startupError({
      ARGUS_JWT_JWKS_FILE: "/nonexistent/jwks.json",
      ARGUS_JWT_ISSUER: "https://idp.example",
      ARGUS_JWT_AUDIENCE: "argus",
    });
    expect(error.message).toMatch(/^ARGUS_JWT_JWKS_FILE: cannot read \/nonexistent\/jwks\.json/);
  });

  it("names GRPC_TLS_CERT_FILE when the certificate cannot be read", async () => {
    const error = await startupError({
      GRPC_TLS_CERT_FILE: "/nonexistent/server.crt",
      GRPC_TLS_KEY_FILE: "/nonexistent/server.key",
    });
    expect(error.message).toMatch(/^GRPC_TLS_CERT_FILE: cannot read/);
  });

  it("names ARGUS_API_KEYS when the key table is wrong", async () => {
    const error = await startupError({ ARGUS_API_KEYS: '[{"principal": "a"}]' });
    expect(error.message).toMatch(/^ARGUS_API_KEYS\[0\./);
  });
});
