import { createHash } from "node:crypto";
import type { AlertRecord } from "./alert.js";
import type { AlerterRoutingConfig } from "./routing/config.js";
import { groupKeyFor, groupLabelsFor, matchRoutes, type Route } from "./routing/route.js";

/** One aggregation group an alert belongs to: a route, the values of its group_by labels, a tenant. */
export interface GroupRef {
  /** Short stable id used in Redis keys. */
  gid: string;
  /**
   * Alertmanager's group key (`{route}:{group labels}`) prefixed with the tenant: tenants never share
   * a group, so one tenant's alerts can never ride in another tenant's notification.
   */
  groupKey: string;
  routeKey: string;
  receiver: string;
  tenant: string;
  groupLabels: Record<string, string>;
}

export function groupsFor(
  config: AlerterRoutingConfig,
  alert: Pick<AlertRecord, "tenant" | "labels" | "fingerprint">,
): GroupRef[] {
  return matchRoutes(config.route, alert.labels).map((route) => groupRef(route, alert));
}

/**
 * `group_by: ['...']` means no aggregation. In Alertmanager an alert *is* its label set; in Argus
 * the fingerprint is the identity and two alerts may share labels, so such a group is keyed by the
 * fingerprint too: every alert stays alone. The tenant is encoded so no tenant name can pose as
 * another tenant's route.
 */
export function groupRef(
  route: Route,
  alert: Pick<AlertRecord, "tenant" | "labels" | "fingerprint">,
): GroupRef {
  const { tenant, labels } = alert;
  const groupLabels = groupLabelsFor(route, labels);
  const groupKey = groupKeyOf(
    tenant,
    route,
    groupLabels,
    route.groupBy === "all" ? alert.fingerprint : undefined,
  );
  return {
    gid: groupId(groupKey),
    groupKey,
    routeKey: route.key,
    receiver: route.receiver,
    tenant,
    groupLabels,
  };
}

/**
 * The group key of the group of `tenant` on the route keyed `route.key` with `groupLabels`; `alone`
 * is the fingerprint of the one alert of a `group_by: ['...']` group (groupRef).
 */
export function groupKeyOf(
  tenant: string,
  route: Pick<Route, "key">,
  groupLabels: Record<string, string>,
  alone: string | undefined,
): string {
  const one = alone === undefined ? "" : `|${encodeURIComponent(alone)}`;
  return `${encodeURIComponent(tenant)}/${groupKeyFor(route, groupLabels)}${one}`;
}

/** A group's short stable id (its Redis keys): a digest of its group key. */
export function groupId(groupKey: string): string {
  return createHash("sha256").update(groupKey).digest("base64url").slice(0, 22);
}

/**
 * When a new group first notifies: group_wait after it was created, or at once when its first
 * alert started more than group_wait ago (Alertmanager flushes such a group immediately, e.g.
 * after a restart, rather than hold an old alert back once more).
 */
export function firstFlushAt(alertStartsAt: number, now: number, groupWaitMs: number): number {
  return alertStartsAt + groupWaitMs < now ? now : now + groupWaitMs;
}
