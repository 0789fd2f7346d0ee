/**
 * The rules for the ids that cross service boundaries, part of the contract: the SDK checks them
 * before it publishes, the detectors on the Kafka path, every service on gRPC (decision 30).
 * A model id is the producer's: anything it publishes within the bound is accepted from Kafka and
 * must then be queryable over gRPC, so the rule is a length bound and no alphabet ("org/model",
 * "fraud-v2@eu" and "credit:v3" are all model ids). Bounds count characters (code points).
 */

/** A model id: 1 to 256 characters, any characters. */
export const MODEL_ID_MAX_CHARS = 256;
/** A (pseudonymized) client id: 1 to 256 characters where one names a client; empty on an anonymous event. */
export const CLIENT_ID_MAX_CHARS = 256;
/** A tenant: at most 128 characters (an event without one carries ""). */
export const TENANT_MAX_CHARS = 128;

/** What is wrong with `value` as a model id, naming `field`; undefined when it is one. */
export function modelIdProblem(value: string, field = "model_id"): string | undefined {
  return lengthProblem(value, field, 1, MODEL_ID_MAX_CHARS);
}

/** What is wrong with `value` as the id of a client, naming `field`; undefined when it is one. */
export function clientIdProblem(value: string, field = "client_id"): string | undefined {
  return lengthProblem(value, field, 1, CLIENT_ID_MAX_CHARS);
}

/** Like clientIdProblem, but empty is allowed: an event from no particular client. */
export function optionalClientIdProblem(value: string, field = "client_id"): string | undefined {
  return lengthProblem(value, field, 0, CLIENT_ID_MAX_CHARS);
}

/** What is wrong with `value` as an event's tenant (empty allowed), naming `field`. */
export function tenantProblem(value: string, field = "tenant"): string | undefined {
  return lengthProblem(value, field, 0, TENANT_MAX_CHARS);
}

function lengthProblem(value: string, field: string, min: 0 | 1, max: number): string | undefined {
  // Code units bound code points from above: the common short id needs no counting.
  if (value.length >= min && value.length <= max) return undefined;
  const rule = min === 0 ? `at most ${max} characters` : `${min}-${max} characters`;
  if (value.length === 0) return `${field} is empty; it must be ${rule}`;
  if (!longerThan(value, max)) return undefined;
  const start = [...value.slice(0, 80)].slice(0, 40).join("");
  return `${field} must be ${rule}, got more than ${max}, starting ${JSON.stringify(start)}`;
}

/** Whether `value` has more than `limit` code points (counting no further). */
function longerThan(value: string, limit: number): boolean {
  let chars = 0;
  for (const _ of value) if (++chars > limit) return true;
  return false;
}
