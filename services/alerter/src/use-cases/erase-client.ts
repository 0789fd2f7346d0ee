import type { AlertStore, StoredAlert } from "../adapters/alert-store.js";
import type { ErasureStore } from "../adapters/erasure-store.js";
import type { RoutingConfigSource } from "../adapters/routing-config-source.js";
import {
  type ClientErasure,
  cameFromClient,
  erasedClientTarget,
  erasureAuditDetail,
  isAboutClient,
  redactClient,
  scrubGroup,
} from "../domain/erasure.js";
import { groupsFor } from "../domain/grouping.js";
import { type AuditTrail, type Caller, recordAction, type Wake } from "./ports.js";

export interface EraseClientDeps {
  store: Pick<AlertStore, "findStoredAlerts">;
  erasures: Pick<
    ErasureStore,
    | "mark"
    | "removeAlert"
    | "redactAlert"
    | "groupsHolding"
    | "scrubGroup"
    | "notificationsAbout"
    | "removeNotification"
  >;
  routing: Pick<RoutingConfigSource, "current">;
  wake: Pick<Wake, "outbox">;
  audit: AuditTrail;
}

/** How long findings about an erased client are dropped: longer than any detector's in-flight batch. */
const erasureMarkMs = 10 * 60_000;

/**
 * Erases a client of the caller's tenant (GDPR Art. 17): alerts about it (their labels name it) go,
 * with their acknowledgement, history, group memberships and the notifications that speak of them
 * (pending or dead-lettered, unsent: a notification about several alerts goes as a whole); an alert
 * about a model whose summary and evidence came from the client stays, with both redacted.
 * Recorded in the audit log by the client's digest. Interrupted (busy), it is safe to run again.
 */
export async function eraseClient(
  deps: EraseClientDeps,
  caller: Caller,
  clientId: string,
): Promise<ClientErasure> {
  const { erasures } = deps;
  // First the mark: findings about the client that arrive while (or just after) it is erased are dropped.
  await erasures.mark({ tenant: caller.tenant, clientId }, erasureMarkMs);
  const found = await deps.store.findStoredAlerts(
    caller.tenant,
    (alert) => isAboutClient(alert, clientId) || cameFromClient(alert, clientId),
  );
  const erasure: ClientErasure = {
    keysRemoved: 0,
    alertsRemoved: 0,
    alertsRedacted: 0,
    notificationsRemoved: 0,
  };
  const removed: StoredAlert[] = [];
  for (const { raw, stored } of found) {
    if (isAboutClient(stored, clientId)) {
      erasure.keysRemoved += await erasures.removeAlert(stored.fingerprint, raw);
      erasure.alertsRemoved++;
      removed.push(stored);
    } else if (
      await erasures.redactAlert(stored.fingerprint, raw, (alert) => redactClient(alert, clientId))
    ) {
      erasure.alertsRedacted++;
    }
  }
  if (removed.length > 0) {
    const fingerprints = new Set(removed.map((alert) => alert.fingerprint));
    // The groups routing puts them in now, and any other live group that holds them (an older tree's).
    const gids = new Set([
      ...removed.flatMap((alert) => groupsFor(deps.routing.current, alert).map((group) => group.gid)),
      ...(await erasures.groupsHolding([...fingerprints])),
    ]);
    for (const gid of gids)
      erasure.keysRemoved += await erasures.scrubGroup(gid, (members, log) =>
        scrubGroup(members, log, fingerprints),
      );
    for (const id of await erasures.notificationsAbout(caller.tenant, fingerprints))
      erasure.notificationsRemoved += await erasures.removeNotification(id);
    erasure.keysRemoved += erasure.notificationsRemoved;
    deps.wake.outbox();
  }
  await recordAction(
    deps.audit,
    caller,
    "alerter.erase_client",
    erasedClientTarget(clientId),
    erasureAuditDetail(erasure),
  );
  return erasure;
}
