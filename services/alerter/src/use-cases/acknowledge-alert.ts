import type { AcknowledgementStore } from "../adapters/acknowledgement-store.js";
import type { AlertStore } from "../adapters/alert-store.js";
import type { RoutingConfigSource } from "../adapters/routing-config-source.js";
import { type AcknowledgementChange, planAcknowledge, planUnacknowledge } from "../domain/acknowledgement.js";
import type { AlertRecord } from "../domain/alert.js";
import { groupsFor } from "../domain/grouping.js";
import { type AlertView, alertViewAfterChange } from "./get-alert.js";
import { type AuditTrail, type Caller, type Clock, recordAction, type Wake } from "./ports.js";
import { alertOfTenant } from "./tenant-alert.js";

export interface AcknowledgeDeps {
  store: Pick<AlertStore, "getAlert" | "getAcks" | "history">;
  acknowledgements: Pick<AcknowledgementStore, "write">;
  routing: Pick<RoutingConfigSource, "current">;
  wake: Wake;
  audit: AuditTrail;
  clock: Clock;
}

/** On-call acknowledges a firing alert's episode; its groups notify receivers that show acknowledgements. */
export async function acknowledgeAlert(
  deps: AcknowledgeDeps,
  caller: Caller,
  fingerprint: string,
  note: string,
): Promise<AlertView> {
  const { alert } = await alertOfTenant(deps.store, caller.tenant, fingerprint);
  const now = deps.clock();
  await writeChange(deps, alert, planAcknowledge(alert, caller.actor, note, now), now);
  await recordAction(deps.audit, caller, "alerter.acknowledge", fingerprint, { note });
  return alertViewAfterChange(deps.store, fingerprint);
}

/** On-call takes an acknowledgement back (in any state, so it can always be undone). */
export async function unacknowledgeAlert(
  deps: AcknowledgeDeps,
  caller: Caller,
  fingerprint: string,
): Promise<AlertView> {
  const { alert } = await alertOfTenant(deps.store, caller.tenant, fingerprint);
  const now = deps.clock();
  await writeChange(deps, alert, planUnacknowledge(caller.actor, now), now);
  await recordAction(deps.audit, caller, "alerter.unacknowledge", fingerprint);
  return alertViewAfterChange(deps.store, fingerprint);
}

async function writeChange(
  deps: AcknowledgeDeps,
  alert: AlertRecord,
  change: AcknowledgementChange,
  now: Date,
): Promise<void> {
  const groups = groupsFor(deps.routing.current, alert).map((group) => group.gid);
  await deps.acknowledgements.write(alert.fingerprint, change, groups, now.getTime());
  deps.wake.groups();
}
