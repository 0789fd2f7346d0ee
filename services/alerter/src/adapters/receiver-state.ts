import type { GuardedCommand } from "@argus/runtime";
import { type BreakerState, closedBreaker } from "../domain/circuit-breaker.js";
import type { AlertStore } from "./alert-store.js";

/** Why an integration was disabled: it answered 410 Gone. Cleared by ReloadConfig or a good TestReceiver. */
export interface Disabled {
  at: string;
  reason: string;
}

export interface ReceiverState {
  breaker: BreakerState;
  disabled?: Disabled;
}

/** The fields of an integration's health hash (`receiverStateKey`), shared by replicas: HMGET them. */
export const receiverStateFields = ["breaker", "disabled"] as const;

/** An integration's health from the values of `receiverStateFields`. */
export function parseReceiverState([breaker, disabled]: readonly (
  | string
  | null
  | undefined
)[]): ReceiverState {
  return {
    breaker: breaker ? (JSON.parse(breaker) as BreakerState) : closedBreaker,
    ...(disabled ? { disabled: JSON.parse(disabled) as Disabled } : {}),
  };
}

export function breakerCommand(
  store: AlertStore,
  receiver: string,
  integration: number,
  breaker: BreakerState,
): GuardedCommand {
  return ["HSET", store.receiverStateKey(receiver, integration), "breaker", JSON.stringify(breaker)];
}

export function disableCommand(
  store: AlertStore,
  receiver: string,
  integration: number,
  disabled: Disabled,
): GuardedCommand {
  return ["HSET", store.receiverStateKey(receiver, integration), "disabled", JSON.stringify(disabled)];
}
