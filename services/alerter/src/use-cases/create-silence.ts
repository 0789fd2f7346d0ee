import type { SilenceStore } from "../adapters/silence-store.js";
import { InvalidArgument } from "../domain/errors.js";
import type { Matcher } from "../domain/routing/matchers.js";
import { type Silence, validateSilence } from "../domain/silences.js";
import { type AuditTrail, type Caller, type Clock, recordAction } from "./ports.js";

export interface CreateSilenceDeps {
  silences: Pick<SilenceStore, "create">;
  audit: AuditTrail;
  clock: Clock;
}

export interface SilenceRequest {
  matchers: Matcher[];
  /** The matchers as the caller wrote them: what the audit log records. */
  matchersAsWritten: string[];
  /** Absent: now. */
  startsAt?: Date;
  endsAt: Date;
  comment: string;
}

/** A tenant mutes the alerts its matchers pick, for a window of time. */
export async function createSilence(
  deps: CreateSilenceDeps,
  caller: Caller,
  request: SilenceRequest,
): Promise<{ silence: Silence; now: Date }> {
  const now = deps.clock();
  const { matchersAsWritten, ...silence } = request;
  const input = { ...silence, createdBy: caller.actor };
  const problem = validateSilence(input, now);
  if (problem) throw new InvalidArgument(problem);
  const created = await deps.silences.create(caller.tenant, input, now);
  await recordAction(deps.audit, caller, "alerter.create_silence", created.id, {
    matchers: matchersAsWritten.join(", "),
    ends_at: created.endsAt,
    comment: created.comment,
  });
  return { silence: created, now };
}
