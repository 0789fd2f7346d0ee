import {
  type Alert,
  AlertServiceService,
  AlertState,
  type ListAlertsRequest,
  type ListAlertsResponse,
} from "@argus/proto";
import { type GrpcServiceRegistration, grpcError, principalOf } from "@argus/runtime";
import { type handleUnaryCall, status } from "@grpc/grpc-js";
import type { AlertRecord } from "../domain/alert.js";
import type { AlertStore } from "./alert-store.js";

const defaultPageSize = 100;
const maxPageSize = 1000;

/** Who may call what: the one place access to AlertService is decided. */
export const alertServiceRoles = { listAlerts: "viewer" } as const;

export function alertServiceRegistration(store: AlertStore): GrpcServiceRegistration {
  const listAlerts: handleUnaryCall<ListAlertsRequest, ListAlertsResponse> = (call, callback) => {
    const request = call.request;
    const problem = validateListAlerts(request);
    if (problem) return callback(grpcError(status.INVALID_ARGUMENT, problem));
    const tenant = principalOf(call).tenant;
    const offset = request.pageToken ? Number(request.pageToken) : 0;
    const pageSize = request.pageSize || defaultPageSize;
    collectPage(store, offset, pageSize, (alert) => matches(alert, request, tenant)).then(
      ({ alerts, nextOffset }) =>
        callback(null, {
          alerts: alerts.map(toProto),
          nextPageToken: nextOffset === null ? "" : String(nextOffset),
        }),
      (error: Error) => callback(grpcError(status.UNAVAILABLE, `alert store unavailable: ${error.message}`)),
    );
  };
  return {
    name: "argus.v1.AlertService",
    definition: AlertServiceService,
    implementation: { listAlerts },
    methodRoles: alertServiceRoles,
  };
}

export function validateListAlerts(request: ListAlertsRequest): string | null {
  if (request.pageSize < 0 || request.pageSize > maxPageSize) {
    return `page_size must be between 0 and ${maxPageSize}, got ${request.pageSize}`;
  }
  if (request.pageToken && !/^\d{1,9}$/.test(request.pageToken)) {
    return "page_token is not a token returned by ListAlerts";
  }
  if (request.state === AlertState.UNRECOGNIZED) return "state is not a known AlertState";
  return null;
}

function matches(alert: AlertRecord, request: ListAlertsRequest, tenant: string): boolean {
  if (alert.tenant !== tenant) return false;
  if (request.modelId && alert.modelId !== request.modelId) return false;
  if (request.state === AlertState.ALERT_STATE_FIRING && alert.state !== "firing") return false;
  if (request.state === AlertState.ALERT_STATE_RESOLVED && alert.state !== "resolved") return false;
  return true;
}

/** Scans the recency index in slices until a page of matching alerts is full or the index ends. */
async function collectPage(
  store: AlertStore,
  offset: number,
  pageSize: number,
  keep: (alert: AlertRecord) => boolean,
): Promise<{ alerts: AlertRecord[]; nextOffset: number | null }> {
  const alerts: AlertRecord[] = [];
  let cursor = offset;
  for (;;) {
    const slice = await store.listByRecency(cursor, pageSize);
    if (slice.length === 0) return { alerts, nextOffset: null };
    for (const alert of slice) {
      cursor++;
      if (keep(alert)) alerts.push(alert);
      if (alerts.length === pageSize) return { alerts, nextOffset: cursor };
    }
  }
}

function toProto(alert: AlertRecord): Alert {
  return {
    fingerprint: alert.fingerprint,
    state: alert.state === "firing" ? AlertState.ALERT_STATE_FIRING : AlertState.ALERT_STATE_RESOLVED,
    labels: alert.labels,
    kind: alert.kind,
    severity: alert.severity,
    modelId: alert.modelId,
    summary: alert.summary,
    startsAt: new Date(alert.startsAt),
    updatedAt: new Date(alert.updatedAt),
    endsAt: alert.endsAt ? new Date(alert.endsAt) : undefined,
    findingCount: alert.findingCount,
    lastFindingId: alert.lastFindingId,
  };
}
