import { clientIdProblem, modelIdProblem, optionalClientIdProblem } from "@argus/proto";
import { invalidArgument } from "./auth.js";
import { principalOf } from "./grpc-auth.js";

/** Who is calling, and the tenant every lookup of the call is confined to. */
export interface CallerScope {
  /** From the caller's credentials, never from the request: a caller cannot name another tenant. */
  tenant: string;
  /** The principal's id, for the audit log. */
  principal: string;
}

/** The scope of an authenticated call (the service kit's secureService put its principal there). */
export function callerScope(call: object): CallerScope {
  const { tenant, id } = principalOf(call);
  return { tenant, principal: id };
}

/**
 * Whether what `ownerTenant` owns is the caller's; undefined: nothing owns it (it does not exist).
 * Another tenant's record must answer exactly like a missing one (NOT_FOUND, an empty list, risk 0),
 * never PERMISSION_DENIED, so that no caller learns which ids exist in other tenants.
 */
export function ownedByCaller(scope: CallerScope, ownerTenant: string | undefined): boolean {
  return ownerTenant !== undefined && ownerTenant === scope.tenant;
}

/** The record if it belongs to the caller's tenant; another tenant's record reads as absent. */
export function visibleToCaller<T extends { tenant: string }>(
  scope: CallerScope,
  record: T | undefined,
): T | undefined {
  return record !== undefined && ownedByCaller(scope, record.tenant) ? record : undefined;
}

/** `value` when it is a model id (see ids.ts), else INVALID_ARGUMENT naming `field`. */
export function requireModelId(value: string, field = "model_id"): string {
  return required(value, modelIdProblem(value, field));
}

/** `value` when it is a client id, else INVALID_ARGUMENT naming `field`. */
export function requireClientId(value: string, field = "client_id"): string {
  return required(value, clientIdProblem(value, field));
}

/** `value` when it is a client id or empty, else INVALID_ARGUMENT naming `field`. */
export function requireOptionalClientId(value: string, field = "client_id"): string {
  return required(value, optionalClientIdProblem(value, field));
}

/** An empty `value` (meaning "all models"), or a model id; else INVALID_ARGUMENT naming `field`. */
export function requireOptionalModelId(value: string, field = "model_id"): string {
  return value === "" ? value : requireModelId(value, field);
}

function required(value: string, problem: string | undefined): string {
  if (problem !== undefined) throw invalidArgument(problem);
  return value;
}
