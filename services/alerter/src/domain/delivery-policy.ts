/** What to do after one delivery attempt. */
export type DeliveryDecision =
  | { action: "done" }
  | { action: "retry"; delayMs: number; reason: string }
  | { action: "dead-letter"; reason: string };

export interface DeliveryPolicy {
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** After this long since the notification was created it stops being retried. */
  maxAgeMs: number;
}

export type AttemptOutcome =
  | { kind: "response"; status: number; retryAfterMs?: number }
  | { kind: "network-error"; message: string };

/**
 * Success on 2xx; retry with capped exponential backoff and full jitter on 5xx, 408, 429 and
 * network errors or timeouts (honouring Retry-After when the receiver sends it); any other status
 * is the receiver refusing this payload, so retrying cannot help. `random` is in [0, 1).
 */
export function decideAfterAttempt(
  outcome: AttemptOutcome,
  attempts: number,
  ageMs: number,
  policy: DeliveryPolicy,
  random: number,
): DeliveryDecision {
  if (outcome.kind === "response" && outcome.status >= 200 && outcome.status < 300) return { action: "done" };
  const reason = outcome.kind === "response" ? `HTTP ${outcome.status}` : outcome.message;
  const retryable =
    outcome.kind === "network-error" ||
    outcome.status >= 500 ||
    outcome.status === 408 ||
    outcome.status === 429;
  if (!retryable) return { action: "dead-letter", reason: `receiver refused: ${reason}` };
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(attempts - 1, 0));
  const backoff = Math.max(Math.floor(random * ceiling), Math.min(policy.initialBackoffMs, ceiling));
  const delayMs =
    outcome.kind === "response" && outcome.retryAfterMs !== undefined ? outcome.retryAfterMs : backoff;
  if (ageMs + delayMs > policy.maxAgeMs) {
    return { action: "dead-letter", reason: `gave up after ${attempts} attempts: ${reason}` };
  }
  return { action: "retry", delayMs, reason };
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(date - now.getTime(), 0);
}
