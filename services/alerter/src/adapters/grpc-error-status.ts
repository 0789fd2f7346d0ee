import { grpcError, isInfrastructureError, SealedValueError } from "@argus/runtime";
import { type ServerErrorResponse, status } from "@grpc/grpc-js";
import { DomainError, type DomainErrorKind } from "../domain/errors.js";

const statusOfKind: Record<DomainErrorKind, status> = {
  "not-found": status.NOT_FOUND,
  "invalid-argument": status.INVALID_ARGUMENT,
  "failed-precondition": status.FAILED_PRECONDITION,
  conflict: status.ABORTED,
  "permission-denied": status.PERMISSION_DENIED,
  unavailable: status.UNAVAILABLE,
};

/**
 * How AlertService answers a failed call: a domain error as its status with its message (written
 * for the caller); a status the request checks raised, as it is; stored evidence that does not open (tampered, moved to another key, or sealed
 * with a key this deployment lacks) as DATA_LOSS with its message, which names no key or record;
 * a dependency that did not answer (Redis down or failing over) as UNAVAILABLE, which clients
 * retry; anything else as INTERNAL. Neither of the last two carries the error's message, which may
 * name keys, scripts or hosts: it goes to the log (see `isFault`).
 */
export function grpcErrorOf(error: unknown, what: string): ServerErrorResponse {
  if (error instanceof DomainError) return grpcError(statusOfKind[error.kind], error.message);
  if (isGrpcStatus(error)) return error;
  if (error instanceof SealedValueError) return grpcError(status.DATA_LOSS, `${what}: ${error.message}`);
  if (isInfrastructureError(error)) return grpcError(status.UNAVAILABLE, `${what} unavailable; try again`);
  return grpcError(status.INTERNAL, `${what} failed; the alerter logged why`);
}

/**
 * A status the runtime's request checks raise (its `invalidArgument`, `requireClientId`, …): already
 * an answer for the caller. Its shape is the runtime's `grpcError`: a status code and `details`.
 */
function isGrpcStatus(error: unknown): error is ServerErrorResponse {
  if (!(error instanceof Error)) return false;
  const { code, details } = error as Error & { code?: unknown; details?: unknown };
  return (
    typeof code === "number" &&
    Number.isInteger(code) &&
    code > status.OK &&
    code <= status.UNAUTHENTICATED &&
    typeof details === "string"
  );
}

/** A failure the caller did not cause and cannot read about: worth a line in the service's log. */
export function isFault(error: unknown): boolean {
  return !(error instanceof DomainError) && !isGrpcStatus(error);
}
