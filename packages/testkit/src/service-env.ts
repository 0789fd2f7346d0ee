import { createHash, randomBytes } from "node:crypto";

export interface TestPrincipal {
  token: string;
  principal: string;
  tenant: string;
  roles: string[];
}

/** API keys for tests and the demo; only their hashes go into the services' configuration. */
export function makePrincipals(
  tenant: string,
): Record<"viewer" | "operator" | "admin" | "ingest", TestPrincipal> {
  const make = (role: string): TestPrincipal => ({
    token: randomBytes(24).toString("base64url"),
    principal: `${role}@${tenant}`,
    tenant,
    roles: [role],
  });
  return { viewer: make("viewer"), operator: make("operator"), admin: make("admin"), ingest: make("ingest") };
}

export function apiKeysJson(principals: TestPrincipal[]): string {
  return JSON.stringify(
    principals.map(({ token, principal, tenant, roles }) => ({
      principal,
      tenant,
      roles,
      sha256: createHash("sha256").update(token).digest("hex"),
    })),
  );
}

/**
 * The evidence keys of every service a test process starts (one random key per process, so a
 * test can open what its services sealed, e.g. with `createEvidenceSealer(testEvidenceKeys.keys, …)`).
 */
export const testEvidenceKeys: { keys: Record<string, Buffer>; keyId: string } = {
  keys: { test: randomBytes(32) },
  keyId: "test",
};

/**
 * Environment for a service under test: its own topic and key prefixes (so parallel test files
 * never see each other's records or state), ephemeral ports on loopback, quiet logs.
 */
export function isolatedServiceEnv(
  stack: { kafkaBrokers: string[]; redisUrl: string },
  namespace: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    KAFKA_BROKERS: stack.kafkaBrokers.join(","),
    REDIS_URL: stack.redisUrl,
    ARGUS_TOPIC_PREFIX: `${namespace}.`,
    ARGUS_REDIS_PREFIX: namespace,
    KAFKA_TOPIC_PARTITIONS: "3",
    GRPC_HOST: "127.0.0.1",
    GRPC_PORT: "0",
    // Loopback only, in tests: production refuses to serve gRPC without TLS.
    GRPC_PLAINTEXT: "true",
    HTTP_HOST: "127.0.0.1",
    HTTP_PORT: "0",
    LOG_LEVEL: process.env.ARGUS_TEST_LOG_LEVEL ?? "warn",
    SHUTDOWN_TIMEOUT_MS: "10000",
    // Evidence at rest is sealed in tests as in production (services refuse to start without keys).
    ARGUS_EVIDENCE_KEYS: JSON.stringify(
      Object.fromEntries(
        Object.entries(testEvidenceKeys.keys).map(([id, key]) => [id, key.toString("base64")]),
      ),
    ),
    ARGUS_EVIDENCE_KEY_ID: testEvidenceKeys.keyId,
    ...extra,
  };
}

/** A short unique namespace, valid as topic prefix and Redis key prefix. */
export function uniqueNamespace(label: string): string {
  return `t-${label}-${randomBytes(4).toString("hex")}`;
}
