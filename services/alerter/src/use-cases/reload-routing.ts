import type { AlertStore } from "../adapters/alert-store.js";
import type { GroupMembershipStore } from "../adapters/group-membership-store.js";
import type { ReceiverHealthStore } from "../adapters/receiver-health-store.js";
import type { LoadedRouting, RoutingConfigSource } from "../adapters/routing-config-source.js";
import { FailedPrecondition } from "../domain/errors.js";
import { groupsFor } from "../domain/grouping.js";
import { type AuditTrail, type Caller, type Clock, recordAction, type Wake } from "./ports.js";

export interface ReloadDeps {
  store: Pick<AlertStore, "firingAlerts">;
  routing: Pick<RoutingConfigSource, "reload">;
  receiverHealth: Pick<ReceiverHealthStore, "enable">;
  memberships: Pick<GroupMembershipStore, "join">;
  wake: Pick<Wake, "groups">;
  audit: AuditTrail;
  clock: Clock;
}

/** Firing alerts regrouped after a reload, at most (most recently updated first). */
const maxRegrouped = 100_000;

/**
 * Re-reads the routing configuration (a bad one is refused and the running one stays), re-enables
 * every receiver (an operator just changed them) and puts every firing alert into the groups of
 * the new tree; groups whose route is gone are dropped by the flusher.
 */
export async function reloadRouting(deps: ReloadDeps, caller: Caller): Promise<LoadedRouting> {
  let loaded: LoadedRouting;
  try {
    loaded = deps.routing.reload();
  } catch (error) {
    const reason = (error as Error).message;
    await recordAction(deps.audit, caller, "alerter.reload_config_rejected", "routing", { error: reason });
    throw new FailedPrecondition(`configuration not reloaded, the running one stays: ${reason}`);
  }
  const receivers = [...loaded.config.receivers.values()];
  await deps.receiverHealth.enable(
    receivers.flatMap((receiver) =>
      receiver.integrations.map((_, integration) => ({ receiver: receiver.name, integration })),
    ),
  );
  const firing = await deps.store.firingAlerts(maxRegrouped);
  const memberships = firing.flatMap((alert) =>
    groupsFor(loaded.config, alert).map((group) => ({ group, fingerprint: alert.fingerprint })),
  );
  await deps.memberships.join(memberships, deps.clock().getTime());
  await recordAction(deps.audit, caller, "alerter.reload_config", "routing", { hash: loaded.hash });
  deps.wake.groups();
  return loaded;
}
