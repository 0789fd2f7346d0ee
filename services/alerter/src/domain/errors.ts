/**
 * Why a use case refused: what the caller did or can do about it, never how the alerter stores
 * things. Adapters map these to their protocol (alert-grpc.ts to gRPC statuses); anything that is not
 * a DomainError is a fault, and its message never reaches the caller.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
}

export type DomainErrorKind =
  | "not-found"
  | "invalid-argument"
  | "failed-precondition"
  | "conflict"
  | "permission-denied"
  | "unavailable";

/**
 * There is no such thing for the caller. Another tenant's alert, silence or notification is "not
 * found" too, never "forbidden": the answer must not tell whether an id exists elsewhere.
 */
export class NotFound extends DomainError {
  readonly kind = "not-found";
}

/** The request itself is wrong (a field's shape or value); the same request will always fail. */
export class InvalidArgument extends DomainError {
  readonly kind = "invalid-argument";
}

/** The thing is not in a state that allows this (acknowledging a resolved alert); asking again will not help until it changes. */
export class FailedPrecondition extends DomainError {
  readonly kind = "failed-precondition";
}

/** Someone else changed the thing between our read and our write; reading again and retrying may succeed. */
export class Conflict extends DomainError {
  readonly kind = "conflict";
}

/** The caller may not do this, whatever the thing's state (role checks happen before use cases run). */
export class PermissionDenied extends DomainError {
  readonly kind = "permission-denied";
}

/** Busy (a lease held elsewhere, or lost): not done, or done in part, and safe to try again later. */
export class Unavailable extends DomainError {
  readonly kind = "unavailable";
}
