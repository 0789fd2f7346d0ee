import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { keyspace } from "./redis.js";

// A token bucket in one hash {tokens, ts}, refilled and spent by one atomic script. Time comes from
// Redis (TIME, in microseconds), never from the callers, so replicas with skewed clocks share one
// bucket correctly; a Redis clock that steps back (a failover) refills nothing for the step and
// counts on from the new time. The key expires once the bucket would be full again: an idle
// bucket costs no memory, and a missing bucket is exactly a full one.
// Numbers are written with string.format: Redis turns Lua numbers into strings with 14 digits,
// which would round a microsecond timestamp.
const takeScript = `
local capacity = tonumber(ARGV[1])
local perMicro = tonumber(ARGV[2]) / 1000000
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(state[1]), tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
elseif now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * perMicro)
else
  tokens = math.min(capacity, tokens)
end
local allowed, retryMs = 0, 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retryMs = math.max(1, math.ceil((cost - tokens) / perMicro / 1000))
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / perMicro / 1000) + 1000)
return { allowed, retryMs, math.floor(tokens) }
`;
const takeScriptSha = createHash("sha1").update(takeScript).digest("hex");

export interface BucketLimit {
  /** Tokens a full bucket holds: the largest burst. */
  capacity: number;
  /** Tokens added per second: the sustained rate. */
  refillPerSecond: number;
}

export interface RateLimiterOptions {
  redis: Redis;
  /** Where the buckets live, normally `rateLimitKeyPrefix(config.ARGUS_REDIS_PREFIX)`. */
  keyPrefix: string;
  /** The limit of methods outside every class. */
  defaultLimit: BucketLimit;
  /** Limits by method class, e.g. `{ read: …, write: …, ingest: … }`. */
  classes?: Record<string, BucketLimit>;
  /** The class of a method (e.g. by its gRPC path); undefined for the default limit. */
  classify?: (method: string) => string | undefined;
}

export interface RateDecision {
  allowed: boolean;
  /** When refused: how long until the bucket holds `cost` tokens; 0 when allowed. */
  retryAfterMs: number;
  /** Whole tokens left in the bucket after this call. */
  remaining: number;
}

/** Buckets of a deployment: `<ARGUS_REDIS_PREFIX>:ratelimit`, shared by every replica. */
export function rateLimitKeyPrefix(redisPrefix: string): string {
  return keyspace(redisPrefix, "ratelimit")();
}

// ':' separates the parts of a key, so it (and '%', to stay unambiguous) is escaped in names.
const keyPart = (name: string) => name.replaceAll("%", "%25").replaceAll(":", "%3A");

function assertLimit(name: string, limit: BucketLimit): void {
  if (!(Number.isFinite(limit.capacity) && limit.capacity > 0)) {
    throw new RangeError(`rate limit ${name}: capacity must be a positive number`);
  }
  if (!(Number.isFinite(limit.refillPerSecond) && limit.refillPerSecond > 0)) {
    throw new RangeError(`rate limit ${name}: refillPerSecond must be a positive number`);
  }
}

/**
 * Token buckets per (principal, method) in Redis, shared by all replicas of a service. Each method
 * has its own bucket, sized by the limit of its class.
 */
export class RateLimiter {
  private readonly redis: Redis;
  private readonly keyPrefix: string;
  private readonly defaultLimit: BucketLimit;
  private readonly classes: Record<string, BucketLimit>;
  private readonly classify: (method: string) => string | undefined;

  constructor(options: RateLimiterOptions) {
    this.redis = options.redis;
    this.keyPrefix = options.keyPrefix;
    this.defaultLimit = options.defaultLimit;
    this.classes = options.classes ?? {};
    this.classify = options.classify ?? (() => undefined);
    assertLimit("default", this.defaultLimit);
    for (const [name, limit] of Object.entries(this.classes)) assertLimit(name, limit);
  }

  /** The limit that applies to a method. */
  limitFor(method: string): BucketLimit {
    const name = this.classify(method);
    if (name === undefined) return this.defaultLimit;
    const limit = this.classes[name];
    // A typo in a class name must not quietly fall back to another limit.
    if (limit === undefined) throw new Error(`rate limit: method ${method} is in unknown class ${name}`);
    return limit;
  }

  /** The key of a bucket (for tests and operators). */
  keyFor(principalId: string, method: string): string {
    return `${this.keyPrefix}:${keyPart(principalId)}:${keyPart(method)}`;
  }

  /**
   * Takes `cost` tokens from the bucket of (principal, method) if it holds them; otherwise takes
   * nothing and says how long to wait. Throws when `cost` exceeds the bucket's capacity (it could
   * never be allowed) and when Redis cannot be reached: failing open or closed is the caller's choice.
   */
  async take(principalId: string, method: string, cost = 1): Promise<RateDecision> {
    const limit = this.limitFor(method);
    if (!(Number.isFinite(cost) && cost >= 0)) throw new RangeError(`rate limit: cost ${cost} is not >= 0`);
    if (cost > limit.capacity) {
      throw new RangeError(`rate limit: cost ${cost} exceeds the capacity ${limit.capacity} of ${method}`);
    }
    const args = [1, this.keyFor(principalId, method), limit.capacity, limit.refillPerSecond, cost] as const;
    let reply: unknown;
    try {
      reply = await this.redis.evalsha(takeScriptSha, ...args);
    } catch (error) {
      if (!(error as Error).message.startsWith("NOSCRIPT")) throw error;
      reply = await this.redis.eval(takeScript, ...args);
    }
    const [allowed, retryAfterMs, remaining] = reply as [number, number, number];
    return { allowed: allowed === 1, retryAfterMs, remaining };
  }
}

/** The limiter the environment asks for (GRPC_RATE_LIMIT_*), or none when the burst is 0. */
export function rateLimiterFromConfig(
  config: {
    ARGUS_REDIS_PREFIX: string;
    GRPC_RATE_LIMIT_BURST: number;
    GRPC_RATE_LIMIT_PER_SECOND: number;
    GRPC_RATE_LIMITS: Record<string, { burst: number; perSecond: number }>;
  },
  redis: Redis,
): RateLimiter | undefined {
  if (config.GRPC_RATE_LIMIT_BURST === 0) return undefined;
  const classes = Object.fromEntries(
    Object.entries(config.GRPC_RATE_LIMITS).map(([method, limit]) => [
      method,
      { capacity: limit.burst, refillPerSecond: limit.perSecond },
    ]),
  );
  return new RateLimiter({
    redis,
    keyPrefix: rateLimitKeyPrefix(config.ARGUS_REDIS_PREFIX),
    defaultLimit: {
      capacity: config.GRPC_RATE_LIMIT_BURST,
      refillPerSecond: config.GRPC_RATE_LIMIT_PER_SECOND,
    },
    classes,
    classify: (method) => (method in classes ? method : undefined),
  });
}
