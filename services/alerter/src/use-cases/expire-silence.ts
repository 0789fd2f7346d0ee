import type { SilenceStore } from "../adapters/silence-store.js";
import { NotFound } from "../domain/errors.js";
import type { Silence } from "../domain/silences.js";
import { type AuditTrail, type Caller, type Clock, recordAction } from "./ports.js";

export interface ExpireSilenceDeps {
  silences: Pick<SilenceStore, "expire">;
  audit: AuditTrail;
  clock: Clock;
}

/** A tenant ends one of its silences now; another tenant's silence is not found. */
export async function expireSilence(
  deps: ExpireSilenceDeps,
  caller: Caller,
  id: string,
): Promise<{ silence: Silence; now: Date }> {
  const now = deps.clock();
  const silence = await deps.silences.expire(caller.tenant, id, now);
  if (!silence) throw new NotFound(`no silence with id ${id}`);
  await recordAction(deps.audit, caller, "alerter.expire_silence", id);
  return { silence, now };
}
