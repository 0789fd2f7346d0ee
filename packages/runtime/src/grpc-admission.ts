import { Metadata, type ServerErrorResponse, status } from "@grpc/grpc-js";
import { grpcError } from "./auth.js";
import type { Admission } from "./grpc-auth.js";
import type { Logger } from "./logger.js";
import type { RateLimiter } from "./rate-limit.js";

/**
 * Admission after authorization: a streaming call must carry a deadline (an unbounded stream
 * holds a server slot forever), and each (principal, method) draws from its token bucket. A
 * refusal is RESOURCE_EXHAUSTED with `retry-after-ms` in the trailers, so clients can back off
 * exactly as long as needed. When Redis cannot answer, calls are let through and the failure is
 * logged: rate limiting protects capacity and must not itself take the API down.
 */
export function admission(limiter: RateLimiter | undefined, logger: Logger): Admission {
  return async ({ principal, method, streaming, deadline }) => {
    if (streaming && !method.startsWith("/grpc.")) {
      const unbounded = deadline === Number.POSITIVE_INFINITY || deadline === undefined;
      if (unbounded)
        return grpcError(status.FAILED_PRECONDITION, `${method} is a streaming call: set a deadline`);
    }
    if (!limiter) return null;
    try {
      const decision = await limiter.take(principal.id, method);
      if (decision.allowed) return null;
      return exhausted(method, decision.retryAfterMs);
    } catch (error) {
      logger.warn({ err: (error as Error).message, method }, "rate limiter unavailable; call admitted");
      return null;
    }
  };
}

function exhausted(method: string, retryAfterMs: number): ServerErrorResponse {
  const metadata = new Metadata();
  metadata.set("retry-after-ms", String(Math.ceil(retryAfterMs)));
  return Object.assign(
    grpcError(
      status.RESOURCE_EXHAUSTED,
      `rate limit of ${method} exceeded for this principal; retry after ${Math.ceil(retryAfterMs)} ms`,
    ),
    { metadata },
  );
}
