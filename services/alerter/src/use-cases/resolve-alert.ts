import { FailedPrecondition } from "../domain/errors.js";
import { type EndEpisodeDeps, endEpisode } from "./end-episode.js";
import { type AlertView, alertViewAfterChange } from "./get-alert.js";
import { type AuditTrail, type Caller, recordAction } from "./ports.js";
import { alertOfTenant } from "./tenant-alert.js";

export interface ResolveDeps extends EndEpisodeDeps {
  store: EndEpisodeDeps["store"] & Parameters<typeof alertViewAfterChange>[0];
  audit: AuditTrail;
}

/** On-call ends a firing alert's episode by hand (the detector has not, or cannot). */
export async function resolveAlert(
  deps: ResolveDeps,
  caller: Caller,
  fingerprint: string,
  note: string,
): Promise<AlertView> {
  const found = await alertOfTenant(deps.store, caller.tenant, fingerprint);
  const resolved = await endEpisode(deps, found, caller.actor, deps.clock(), note);
  if (!resolved) throw new FailedPrecondition("the alert is not firing");
  await recordAction(deps.audit, caller, "alerter.resolve", fingerprint, { note });
  return alertViewAfterChange(deps.store, fingerprint);
}
