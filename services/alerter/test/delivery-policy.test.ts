import { describe, expect, it } from "vitest";
import {
  type AttemptOutcome,
  type DeliveryDecision,
  type DeliveryPolicy,
  decideAfterAttempt,
  parseRetryAfter,
  strainsReceiver,
} from "../src/domain/delivery-policy.js";

const policy: DeliveryPolicy = { initialBackoffMs: 1_000, maxBackoffMs: 60_000, maxAgeMs: 3_600_000 };
const now = new Date("2025-03-04T05:06:07.000Z");

const response = (status: number, retryAfterMs?: number): AttemptOutcome =>
  retryAfterMs === undefined ? { kind: "response", status } : { kind: "response", status, retryAfterMs };
const networkError: AttemptOutcome = { kind: "network-error", message: "fetch failed (ECONNREFUSED)" };

/** A small seeded generator, so the "many random values" below are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const randoms = [
  0,
  1e-9,
  0.001,
  0.25,
  0.5,
  0.75,
  0.999,
  1 - 2 ** -52,
  ...Array.from({ length: 40 }, seeded(42)),
];

function retryDelay(decision: DeliveryDecision): number {
  if (decision.action !== "retry") throw new Error(`expected a retry, got ${JSON.stringify(decision)}`);
  return decision.delayMs;
}

describe("decideAfterAttempt: success", () => {
  it.each([200, 201, 202, 204, 299])("HTTP %i is delivered", (status) => {
    expect(decideAfterAttempt(response(status), 1, 0, policy, 0.5)).toEqual({ action: "done" });
  });

  it("counts a late 2xx as delivered even past the maximum age", () => {
    expect(decideAfterAttempt(response(200), 40, policy.maxAgeMs * 2, policy, 0.5)).toEqual({
      action: "done",
    });
  });
});

describe("decideAfterAttempt: transient failures are retried", () => {
  it.each([
    ["HTTP 500", response(500)],
    ["HTTP 502", response(502)],
    ["HTTP 503", response(503)],
    ["HTTP 504", response(504)],
    ["HTTP 408", response(408)],
    ["HTTP 429", response(429)],
    ["fetch failed (ECONNREFUSED)", networkError],
  ])("%s is retried, with the cause as the reason", (reason, outcome) => {
    const decision = decideAfterAttempt(outcome, 1, 0, policy, 0.5);

    expect(decision).toEqual({ action: "retry", delayMs: policy.initialBackoffMs, reason });
  });

  it("waits within [initial, min(max, initial * 2^(attempts-1))] for any random value", () => {
    for (let attempts = 1; attempts <= 12; attempts++) {
      const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (attempts - 1));
      for (const random of randoms) {
        const delay = retryDelay(decideAfterAttempt(networkError, attempts, 0, policy, random));
        expect(Number.isInteger(delay), `attempt ${attempts}, random ${random}`).toBe(true);
        expect(delay, `attempt ${attempts}, random ${random}`).toBeGreaterThanOrEqual(
          policy.initialBackoffMs,
        );
        expect(delay, `attempt ${attempts}, random ${random}`).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it("backs off further with every attempt until the cap, then stays at the cap", () => {
    const highest = Array.from({ length: 12 }, (_, i) =>
      retryDelay(decideAfterAttempt(response(503), i + 1, 0, policy, 1 - 2 ** -52)),
    );

    for (let i = 1; i < highest.length; i++) {
      expect(highest[i]).toBeGreaterThanOrEqual(highest[i - 1] as number);
    }
    expect(highest[4]).toBeGreaterThan(8 * policy.initialBackoffMs); // 16 s ceiling on the 5th attempt
    expect(highest.at(-1)).toBeGreaterThan(policy.maxBackoffMs - 2);
    expect(highest.at(-1)).toBeLessThanOrEqual(policy.maxBackoffMs);
  });

  it("jitters the delay, so replicas retrying one outage do not stampede the receiver together", () => {
    const delays = new Set(
      randoms.map((r) => retryDelay(decideAfterAttempt(response(503), 6, 0, policy, r))),
    );

    expect(delays.size).toBeGreaterThan(randoms.length / 2);
  });

  it("stays finite and capped after very many attempts", () => {
    for (const attempts of [60, 1_100, Number.MAX_SAFE_INTEGER]) {
      const delay = retryDelay(decideAfterAttempt(networkError, attempts, 0, policy, 0.999));
      expect(delay).toBeLessThanOrEqual(policy.maxBackoffMs);
      expect(delay).toBeGreaterThanOrEqual(policy.initialBackoffMs);
    }
  });

  it("treats attempts = 0 like the first attempt (initial backoff), never a zero or negative delay", () => {
    for (const random of randoms) {
      expect(retryDelay(decideAfterAttempt(networkError, 0, 0, policy, random))).toBe(
        policy.initialBackoffMs,
      );
    }
  });

  it("waits at most the cap when initial backoff is configured above it", () => {
    const odd: DeliveryPolicy = { ...policy, initialBackoffMs: 90_000 };
    for (const random of randoms) {
      expect(retryDelay(decideAfterAttempt(networkError, 3, 0, odd, random))).toBe(odd.maxBackoffMs);
    }
  });
});

describe("decideAfterAttempt: Retry-After", () => {
  it.each([
    [429, 5_000],
    [503, 0],
    [503, 30_000],
    [503, 120_000], // above maxBackoffMs: the receiver knows best
  ])(
    "HTTP %i with Retry-After %i ms waits exactly that long, whatever the attempt and jitter",
    (status, wait) => {
      for (const attempts of [1, 5, 30]) {
        for (const random of [0, 0.5, 0.999]) {
          expect(decideAfterAttempt(response(status, wait), attempts, 0, policy, random)).toEqual({
            action: "retry",
            delayMs: wait,
            reason: `HTTP ${status}`,
          });
        }
      }
    },
  );

  it("does not turn a refusal into a retry because the receiver sent Retry-After", () => {
    expect(decideAfterAttempt(response(400, 1_000), 1, 0, policy, 0.5).action).toBe("dead-letter");
  });

  it("dead-letters now when the receiver asks to wait past the maximum age (no early retry against its wish)", () => {
    const decision = decideAfterAttempt(response(503, policy.maxAgeMs + 1), 2, 0, policy, 0.5);

    expect(decision).toEqual({ action: "dead-letter", reason: "gave up after 2 attempts: HTTP 503" });
  });
});

describe("decideAfterAttempt: refusals", () => {
  it.each([400, 401, 403, 404, 405, 413, 415, 422, 301, 302, 307, 308])(
    "HTTP %i goes to the dead letters at once, naming the status",
    (status) => {
      const decision = decideAfterAttempt(response(status), 1, 0, policy, 0.5);

      expect(decision.action).toBe("dead-letter");
      expect(decision.action === "dead-letter" && decision.reason).toContain(`HTTP ${status}`);
    },
  );
});

describe("decideAfterAttempt: 410 Gone", () => {
  it("says the receiver is gone (it gets disabled), whatever the attempt and age", () => {
    for (const attempts of [1, 7]) {
      expect(decideAfterAttempt(response(410), attempts, policy.maxAgeMs - 1, policy, 0.5)).toEqual({
        action: "receiver-gone",
        reason: "receiver answered 410 Gone",
      });
    }
  });
});

describe("strainsReceiver (what counts towards the circuit breaker)", () => {
  it("counts no answer, 5xx, 408 and 429, but not a refusal of one payload or an egress refusal", () => {
    expect(strainsReceiver(networkError)).toBe(true);
    for (const status of [500, 502, 503, 504, 408, 429])
      expect(strainsReceiver(response(status)), `${status}`).toBe(true);
    for (const status of [200, 204, 400, 404, 410, 413, 422])
      expect(strainsReceiver(response(status)), `${status}`).toBe(false);
    expect(strainsReceiver({ kind: "refused", message: "loopback" })).toBe(false);
  });
});

describe("decideAfterAttempt: maximum age", () => {
  it("retries when the retry lands exactly at the maximum age", () => {
    const age = policy.maxAgeMs - policy.initialBackoffMs;

    expect(retryDelay(decideAfterAttempt(networkError, 1, age, policy, 0))).toBe(policy.initialBackoffMs);
  });

  it("dead-letters a retry that would land past the maximum age, naming attempts and the last cause", () => {
    const age = policy.maxAgeMs - policy.initialBackoffMs + 1;

    expect(decideAfterAttempt(networkError, 7, age, policy, 0)).toEqual({
      action: "dead-letter",
      reason: "gave up after 7 attempts: fetch failed (ECONNREFUSED)",
    });
    expect(decideAfterAttempt(response(502), 9, policy.maxAgeMs, policy, 0.5)).toEqual({
      action: "dead-letter",
      reason: "gave up after 9 attempts: HTTP 502",
    });
  });

  it("keeps retrying a receiver that is down until close to the maximum age, then gives up", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seeded(seed);
      let age = 0;
      let attempts = 0;
      let decision: DeliveryDecision;
      for (;;) {
        attempts++;
        decision = decideAfterAttempt(response(503), attempts, age, policy, random());
        if (decision.action !== "retry") break;
        age += decision.delayMs;
        expect(attempts).toBeLessThan(1_000);
      }
      expect(decision.action).toBe("dead-letter");
      expect(age).toBeLessThanOrEqual(policy.maxAgeMs);
      expect(age).toBeGreaterThan(policy.maxAgeMs - policy.maxBackoffMs);
      // 1 + 2 + ... + 32 s, then about one attempt a minute (jitter makes it a bit more).
      expect(attempts).toBeGreaterThan(60);
    }
  });
});

describe("parseRetryAfter", () => {
  it.each([
    ["120", 120_000],
    ["0", 0],
    [" 30 ", 30_000],
    ["007", 7_000],
  ])("reads delay-seconds %j as %i ms", (header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });

  it.each([
    ["IMF-fixdate", "Tue, 04 Mar 2025 05:07:37 GMT"],
    ["obsolete RFC 850", "Tuesday, 04-Mar-25 05:07:37 GMT"],
    ["obsolete asctime", "Tue Mar  4 05:07:37 2025"],
  ])("reads an HTTP-date (%s) as the time until then", (_form, header) => {
    expect(parseRetryAfter(header, now)).toBe(90_000);
  });

  it("reads a two-digit asctime day", () => {
    expect(parseRetryAfter("Fri Mar 14 05:06:07 2025", now)).toBe(10 * 86_400_000);
  });

  it("reads an HTTP-date in the past as: retry now", () => {
    expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now)).toBe(0);
  });

  it("reads a two-digit RFC 850 year more than 50 years ahead as last century", () => {
    expect(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now)).toBe(0);
  });

  it.each([
    null,
    "",
    "   ",
    "soon",
    "1.5",
    "-1",
    "+5",
    "1e3",
    "0x10",
    "12abc",
    "5 minutes",
    "120, 30",
    "2025-03-04T05:07:37Z",
    "Tue, 04 Mar 2025 05:07:37", // no zone: HTTP-dates are always GMT, this is not one
    "Tue, 04 Mar 2025 05:07:37 PST",
    "Mon, 31 Feb 2025 05:07:37 GMT",
    "Tue, 04 Mar 2025 25:07:37 GMT",
  ])("ignores %j (the backoff applies instead)", (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });
});
