import type { Acknowledgement, AlertRecord } from "./alert.js";
import { FailedPrecondition } from "./errors.js";
import type { HistoryEntry } from "./history.js";

/** What on-call's acknowledgement (or taking it back: `ack` null) writes about an alert. */
export interface AcknowledgementChange {
  ack: Acknowledgement | null;
  entry: HistoryEntry;
}

/** Acknowledges the alert's current episode; a new episode will not be acknowledged. */
export function planAcknowledge(
  alert: AlertRecord,
  actor: string,
  note: string,
  now: Date,
): AcknowledgementChange {
  if (alert.state !== "firing") throw new FailedPrecondition("only a firing alert can be acknowledged");
  const at = now.toISOString();
  return {
    ack: { by: actor, at, note, episode: alert.startsAt },
    entry: { at, action: "acknowledged", actor, detail: note },
  };
}

/** Takes an acknowledgement back; allowed in any state, so on-call can always undo. */
export function planUnacknowledge(actor: string, now: Date): AcknowledgementChange {
  return { ack: null, entry: { at: now.toISOString(), action: "unacknowledged", actor } };
}
