import {
  type handleBidiStreamingCall,
  type handleClientStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServiceDefinition,
  status,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { type Authenticator, grpcError, hasRole, type Principal, type Role } from "./auth.js";

const principals = new WeakMap<object, Principal>();

/** The authenticated caller of a call handled by a secured service. */
export function principalOf(call: object): Principal {
  const principal = principals.get(call);
  if (!principal) throw new Error("principalOf: call did not pass through secureService");
  return principal;
}

/**
 * Wraps every method of a service so that it runs only for an authenticated principal holding the
 * role that `methodRoles` declares for it. A method missing from the table stops the server at
 * start: no RPC can ever be served without an explicit access decision.
 */
export function secureService(
  serviceName: string,
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  methodRoles: Readonly<Record<string, Role>>,
  authenticator: Authenticator,
): UntypedServiceImplementation {
  const secured: UntypedServiceImplementation = {};
  for (const [method, spec] of Object.entries(definition)) {
    const required = methodRoles[method];
    if (!required) throw new Error(`${serviceName}.${method} has no role in its role table`);
    const handler = implementation[method];
    if (!handler) throw new Error(`${serviceName}.${method} has no implementation`);
    secured[method] = guard(handler, spec.responseStream, required, authenticator);
  }
  return secured;
}

type AnyCall = Parameters<handleServerStreamingCall<unknown, unknown>>[0];

function guard(
  handler: UntypedHandleCall,
  responseStream: boolean,
  required: Role,
  authenticator: Authenticator,
): UntypedHandleCall {
  const check = (call: AnyCall) => {
    const principal = authenticator.authenticate(call.metadata);
    if (!principal) return grpcError(status.UNAUTHENTICATED, "missing or invalid credentials");
    if (!hasRole(principal, required)) {
      return grpcError(status.PERMISSION_DENIED, `principal ${principal.id} lacks role ${required}`);
    }
    principals.set(call, principal);
    return null;
  };
  if (!responseStream) {
    const unaryLike = handler as
      | handleUnaryCall<unknown, unknown>
      | handleClientStreamingCall<unknown, unknown>;
    return ((call: AnyCall, callback: (error: unknown) => void) => {
      const denied = check(call);
      if (denied) return callback(denied);
      return (unaryLike as (c: unknown, cb: unknown) => void)(call, callback);
    }) as UntypedHandleCall;
  }
  const streaming = handler as
    | handleServerStreamingCall<unknown, unknown>
    | handleBidiStreamingCall<unknown, unknown>;
  return ((call: AnyCall) => {
    const denied = check(call);
    if (denied) {
      call.emit("error", denied);
      return;
    }
    return (streaming as (c: unknown) => void)(call);
  }) as UntypedHandleCall;
}
