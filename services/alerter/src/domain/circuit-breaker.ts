/**
 * A circuit breaker per receiver integration, so a receiver that is down is left alone for a while
 * instead of being hammered by every notification's retries. The state is shared by the replicas
 * (the caller stores it as JSON), hence plain data and pure transitions.
 *
 * Only failures that speak about the receiver's health may be fed to `afterFailure`: network
 * errors, timeouts, 5xx and 429. A 4xx other than 429 says the receiver rejected this payload, and
 * an egress refusal is our own policy; neither means the receiver is unwell, so counting them would
 * cut off a healthy receiver.
 */
export interface BreakerState {
  consecutiveFailures: number;
  /** Epoch milliseconds; attempts are refused before it. 0 when the breaker never opened. */
  openUntil: number;
  /** Times opened in a row without a success in between; > 0 means the next attempt is a probe. */
  opens: number;
}

export interface BreakerPolicy {
  failureThreshold: number;
  cooldownMs: number;
  maxCooldownMs: number;
}

export const defaultBreakerPolicy: BreakerPolicy = {
  failureThreshold: 5,
  cooldownMs: 30_000,
  maxCooldownMs: 300_000,
};

export const closedBreaker: BreakerState = { consecutiveFailures: 0, openUntil: 0, opens: 0 };

/**
 * False while open. Once the cooldown is over attempts are allowed again (half-open), but a single
 * failure re-opens the breaker. Replicas reading the same state may each send one probe; the extra
 * probes' failures land while the breaker is open again and change nothing.
 */
export function breakerAllows(state: BreakerState, now: number): boolean {
  return now >= state.openUntil;
}

export function afterSuccess(_state: BreakerState): BreakerState {
  return { ...closedBreaker };
}

export function afterFailure(state: BreakerState, now: number, policy: BreakerPolicy): BreakerState {
  // A request sent before the breaker opened that fails late says nothing new about the receiver.
  if (now < state.openUntil) return state;
  const consecutiveFailures = state.consecutiveFailures + 1;
  // After an opening the count stays at or above the threshold until a success, so a failed
  // half-open probe re-opens the breaker at once.
  if (consecutiveFailures < Math.max(1, policy.failureThreshold)) return { ...state, consecutiveFailures };
  const opens = state.opens + 1;
  return { consecutiveFailures, openUntil: now + cooldownFor(opens, policy), opens };
}

/** The first opening waits `cooldownMs`; each failed probe doubles the wait, up to `maxCooldownMs`. */
function cooldownFor(opens: number, policy: BreakerPolicy): number {
  return Math.min(policy.maxCooldownMs, policy.cooldownMs * 2 ** (opens - 1));
}
