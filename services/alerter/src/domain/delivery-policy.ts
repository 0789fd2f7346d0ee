/** What to do after one delivery attempt. */
export type DeliveryDecision =
  | { action: "done" }
  | { action: "retry"; delayMs: number; reason: string }
  | { action: "dead-letter"; reason: string }
  /** 410 Gone: the endpoint says it no longer exists; the receiver is disabled until fixed. */
  | { action: "receiver-gone"; reason: string };

export interface DeliveryPolicy {
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** After this long since the notification was created it stops being retried. */
  maxAgeMs: number;
}

export type AttemptOutcome =
  | { kind: "response"; status: number; retryAfterMs?: number }
  | { kind: "network-error"; message: string }
  /** The destination is not allowed (egress policy): no connection was made, retrying cannot help. */
  | { kind: "refused"; message: string };

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
  if (outcome.kind === "refused")
    return { action: "dead-letter", reason: `destination refused: ${outcome.message}` };
  const reason = outcome.kind === "response" ? `HTTP ${outcome.status}` : outcome.message;
  if (outcome.kind === "response" && outcome.status === 410)
    return { action: "receiver-gone", reason: "receiver answered 410 Gone" };
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

/**
 * Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable.
 * Only the three HTTP-date forms (RFC 9110 §5.6.7), always GMT, are read: `Date.parse` would take
 * "1.5" or "-1" for dates in 2001 (an immediate retry) and read a zoneless date in local time.
 */
export function parseRetryAfter(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = parseHttpDate(trimmed, now);
  if (date === undefined) return undefined;
  return Math.max(date - now.getTime(), 0);
}

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const mon = `(?<mon>${months.join("|")})`;
const time = "(?<hh>\\d{2}):(?<mm>\\d{2}):(?<ss>\\d{2})";
const httpDates = [
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (?<day>\\d{2}) ${mon} (?<year>\\d{4}) ${time} GMT$`),
  // obsolete RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  new RegExp(
    `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (?<day>\\d{2})-${mon}-(?<yy>\\d{2}) ${time} GMT$`,
  ),
  // obsolete asctime, GMT implied: Sun Nov  6 08:49:37 1994
  new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${mon} (?<day> \\d|\\d{2}) ${time} (?<year>\\d{4})$`),
];

/** Milliseconds since the epoch of an HTTP-date, or undefined when `text` is not one. */
function parseHttpDate(text: string, now: Date): number | undefined {
  const g = httpDates.map((form) => form.exec(text)?.groups).find((groups) => groups !== undefined);
  if (!g) return undefined;
  const [day, month, hh, mm, ss] = [
    Number(g.day),
    months.indexOf(g.mon ?? ""),
    Number(g.hh),
    Number(g.mm),
    Number(g.ss),
  ];
  let year = Number(g.year);
  if (g.yy !== undefined) {
    // Two-digit year: the latest year with those digits that is at most 50 years ahead (RFC 9110 §5.6.7).
    year = Math.floor(now.getUTCFullYear() / 100) * 100 + Number(g.yy);
    if (year > now.getUTCFullYear() + 50) year -= 100;
  }
  if (hh > 23 || mm > 59 || ss > 60) return undefined;
  const ms = Date.UTC(year, month, day, hh, mm, ss);
  // Date.UTC rolls "31 Feb" over into March: such a date is not a date.
  const check = new Date(Date.UTC(year, month, day));
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month) return undefined;
  return ms;
}

/**
 * Whether an outcome says the receiver is unwell (so it counts towards its circuit breaker):
 * no answer, 5xx, 408 and 429. A 4xx about one payload says nothing about the receiver's health.
 */
export function strainsReceiver(outcome: AttemptOutcome): boolean {
  if (outcome.kind === "network-error") return true;
  if (outcome.kind === "refused") return false;
  return outcome.status >= 500 || outcome.status === 408 || outcome.status === 429;
}
