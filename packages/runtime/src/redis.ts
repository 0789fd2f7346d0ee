import type { ConnectionOptions } from "node:tls";
import { Redis } from "ioredis";
import { ConfigError } from "./config.js";
import type { Logger } from "./logger.js";
import { errorChain, readSecretFile, tlsClientOptions, tlsFailure } from "./transport-security.js";

export type { Redis };

/** Credentials and TLS of the Redis connection beyond what REDIS_URL says. */
export interface RedisSecurity {
  username?: string;
  password?: string;
  /** TLS client options for a rediss:// URL (CA bundle, client certificate). */
  tls?: ConnectionOptions;
  /** The variables that gave the user and password, for messages, e.g. "REDIS_URL / REDIS_PASSWORD_FILE". */
  credentialsFrom?: string;
}

export interface RedisSecurityConfig {
  REDIS_URL: string;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD_FILE?: string | undefined;
  REDIS_TLS_CA_FILE?: string | undefined;
  REDIS_TLS_CERT_FILE?: string | undefined;
  REDIS_TLS_KEY_FILE?: string | undefined;
}

/** Credentials and TLS towards Redis from the configuration; reads the password and PEM files now. */
export function redisSecurityFromConfig(config: RedisSecurityConfig): RedisSecurity {
  const url = new URL(config.REDIS_URL);
  const security: RedisSecurity = {};
  if (config.REDIS_USERNAME !== undefined) security.username = config.REDIS_USERNAME;
  if (config.REDIS_PASSWORD_FILE !== undefined)
    security.password = readSecretFile("REDIS_PASSWORD_FILE", config.REDIS_PASSWORD_FILE);
  const userFrom =
    config.REDIS_USERNAME !== undefined ? "REDIS_USERNAME" : url.username !== "" ? "REDIS_URL" : "";
  const passwordFrom =
    config.REDIS_PASSWORD_FILE !== undefined ? "REDIS_PASSWORD_FILE" : url.password !== "" ? "REDIS_URL" : "";
  const from = [...new Set([userFrom, passwordFrom].filter((variable) => variable !== ""))];
  if (from.length > 0) security.credentialsFrom = from.join(" / ");
  if (url.protocol === "rediss:")
    security.tls = tlsClientOptions(
      { variable: "REDIS_TLS_CA_FILE", path: config.REDIS_TLS_CA_FILE },
      { variable: "REDIS_TLS_CERT_FILE", path: config.REDIS_TLS_CERT_FILE },
      { variable: "REDIS_TLS_KEY_FILE", path: config.REDIS_TLS_KEY_FILE },
    );
  else if (config.REDIS_TLS_CA_FILE ?? config.REDIS_TLS_CERT_FILE ?? config.REDIS_TLS_KEY_FILE)
    throw new ConfigError(
      "REDIS_TLS_CA_FILE/REDIS_TLS_CERT_FILE/REDIS_TLS_KEY_FILE: need a rediss:// REDIS_URL",
    );
  return security;
}

/**
 * An ioredis client that reconnects with capped backoff and logs connection trouble once per state.
 * `security` adds to what the URL says (a user and password in the URL win over it).
 */
export function createRedis(url: string, logger: Logger, security: RedisSecurity = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 3,
    enableAutoPipelining: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    lazyConnect: true,
    ...(security.username !== undefined ? { username: security.username } : {}),
    ...(security.password !== undefined ? { password: security.password } : {}),
    ...(security.tls ? { tls: security.tls } : {}),
  });
  let lastError = "";
  redis.on("error", (error: Error) => {
    if (error.message === lastError) return;
    lastError = error.message;
    logger.warn({ err: error.message }, "redis connection error");
  });
  redis.on("ready", () => {
    lastError = "";
  });
  return redis;
}

/**
 * Connects `redis` (made by createRedis) for start-up. When Redis refuses the credentials or the TLS
 * handshake, or closes a plaintext connection on a TLS port, it stops the client's reconnecting and
 * throws a ConfigError that says what to fix; other failures (Redis down) throw with its address.
 */
export async function connectRedis(redis: Redis, security: RedisSecurity = {}): Promise<void> {
  let lastError: Error | undefined;
  const remember = (error: Error) => {
    lastError = error;
  };
  redis.on("error", remember);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw redisConnectError(lastError ?? (error as Error), redis, security);
  } finally {
    redis.off("error", remember);
  }
}

function redisConnectError(error: Error, redis: Redis, security: RedisSecurity): Error {
  const { host, port, username, tls } = redis.options;
  const at = `${host}:${port}`;
  const user = username !== undefined && username !== "" ? username : "default";
  const credentialsFrom = security.credentialsFrom ?? "REDIS_URL or REDIS_USERNAME / REDIS_PASSWORD_FILE";
  for (const failure of errorChain(error)) {
    const reply = /\b(WRONGPASS|NOAUTH|NOPERM)\b/.exec(failure.message)?.[1];
    if (reply === "WRONGPASS")
      return new ConfigError(
        `Redis refused the credentials of user ${user} (WRONGPASS): check ${credentialsFrom}`,
      );
    if (reply === "NOAUTH")
      return new ConfigError(
        `Redis at ${at} requires authentication (NOAUTH) and no password was given: set one in REDIS_URL or REDIS_PASSWORD_FILE`,
      );
    if (reply === "NOPERM")
      return new ConfigError(`Redis user ${user} lacks a permission Argus needs (${failure.message})`);
    const code = (failure as NodeJS.ErrnoException).code;
    switch (tlsFailure(code)) {
      case "untrusted":
        return new ConfigError(
          `Redis at ${at} presented a TLS certificate that is not trusted (${code}): check REDIS_TLS_CA_FILE`,
        );
      case "wrong-name":
        return new ConfigError(
          `Redis at ${at} presented a TLS certificate for another name (${code}): check the host in REDIS_URL against the server's certificate`,
        );
      case "not-tls":
        return new ConfigError(
          `Redis at ${at} does not speak TLS (${code}): check REDIS_URL (rediss:// asks for TLS)`,
        );
      case "refused":
        return new ConfigError(
          `Redis at ${at} refused the TLS handshake (${code}): it may want a client certificate, check REDIS_TLS_CERT_FILE / REDIS_TLS_KEY_FILE`,
        );
    }
  }
  // A TLS port closes a plaintext connection without a word (or with a reset).
  if (
    !tls &&
    (error.message === "Connection is closed." || (error as NodeJS.ErrnoException).code === "ECONNRESET")
  )
    return new ConfigError(
      `Redis at ${at} closed the connection without answering: if it only accepts TLS, use a rediss:// REDIS_URL`,
    );
  // A plaintext port reads a TLS hello as the start of a command and waits for the rest.
  const hint =
    tls && (error as NodeJS.ErrnoException).code === "ETIMEDOUT"
      ? " (no TLS handshake: if the server does not speak TLS, use a redis:// REDIS_URL)"
      : "";
  return new Error(`Redis at ${at}: ${error.message}${hint}`, { cause: error });
}

/**
 * Builds keys `<prefix>:<service>:<part>:...`. Put the entity a multi-key operation works on in a
 * hash tag (`{model-a}`) so that all its keys live in one Redis Cluster slot.
 */
export function keyspace(prefix: string, service: string): (...parts: string[]) => string {
  return (...parts) => [prefix, service, ...parts].join(":");
}

export function hashTag(value: string): string {
  return `{${value}}`;
}
