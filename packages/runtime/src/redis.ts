import { Redis } from "ioredis";
import type { Logger } from "./logger.js";

export type { Redis };

/** An ioredis client that reconnects with capped backoff and logs connection trouble once per state. */
export function createRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 3,
    enableAutoPipelining: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    lazyConnect: true,
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
 * Builds keys `<prefix>:<service>:<part>:...`. Put the entity a multi-key operation works on in a
 * hash tag (`{model-a}`) so that all its keys live in one Redis Cluster slot.
 */
export function keyspace(prefix: string, service: string): (...parts: string[]) => string {
  return (...parts) => [prefix, service, ...parts].join(":");
}

export function hashTag(value: string): string {
  return `{${value}}`;
}
