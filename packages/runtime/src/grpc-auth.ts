import {
  type handleBidiStreamingCall,
  type handleClientStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerErrorResponse,
  type ServiceDefinition,
  status,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { type Authenticator, grpcError, hasRole, type Principal, type Role } from "./auth.js";
import type { CertificateAuthenticator } from "./grpc-tls.js";

const principals = new WeakMap<object, Principal>();

/** The authenticated caller of a call handled by a secured service. */
export function principalOf(call: object): Principal {
  const principal = principals.get(call);
  if (!principal) throw new Error("principalOf: call did not pass through secureService");
  return principal;
}

/**
 * What a method needs: a role (with what it grants), `any` (an authenticated principal with any
 * role), or `platform:<role>`: that role in the platform tenant (`ARGUS_PLATFORM_TENANT`), for
 * methods that act on the whole deployment (its routing configuration, its receivers, the audit
 * chain of all tenants) and so must not be open to one tenant's admins.
 */
export type MethodAccess = Role | "any" | `platform:${Role}`;

/** Who calls: how principals are found, and what admits their calls. */
export interface CallAccess {
  authenticator: Authenticator;
  /** Client certificates mapped to principals (mTLS). */
  certificates?: CertificateAuthenticator | undefined;
  /** After authorization: rate limits, deadlines. */
  admit?: Admission | undefined;
  /** The tenant whose principals may call `platform:` methods; none: nobody may. */
  platformTenant?: string | undefined;
}

/**
 * Wraps every method of a service so that it runs only for an authenticated principal holding the
 * role that `methodRoles` declares for it. A method missing from the table stops the server at
 * start: no RPC can ever be served without an explicit access decision.
 *
 * The caller is the principal of its client certificate when `certificates` maps it (mTLS), else
 * the principal of its bearer token. Authentication is asynchronous (JWT signatures); the handler
 * runs only once it has succeeded, and never for a call cancelled meanwhile.
 */
export function secureService(
  serviceName: string,
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  methodRoles: Readonly<Record<string, MethodAccess>>,
  access: CallAccess,
): UntypedServiceImplementation {
  const { admit } = access;
  const secured: UntypedServiceImplementation = {};
  for (const [method, spec] of Object.entries(definition)) {
    const required = methodRoles[method];
    if (!required) throw new Error(`${serviceName}.${method} has no role in its role table`);
    // Definitions loaded by proto-loader name methods as in the .proto (`Check`), implementations
    // often by their camelCase `originalName` (`check`); grpc-js's addService accepts either.
    const handler =
      implementation[method] ?? (spec.originalName ? implementation[spec.originalName] : undefined);
    if (!handler) throw new Error(`${serviceName}.${method} has no implementation`);
    const path = spec.path || `/${serviceName}/${method}`;
    const streaming = spec.requestStream || spec.responseStream;
    const authorize = async (call: AnyCall) => {
      const denied = await authorizeCall(call, required, access);
      if (denied || !admit) return denied;
      return admit({ principal: principalOf(call), method: path, streaming, deadline: call.getDeadline() });
    };
    secured[method] = guard(handler, spec.responseStream, authorize);
  }
  return secured;
}

type AnyCall = Parameters<handleServerStreamingCall<unknown, unknown>>[0];

/** An authorized call about to run: what admission (rate limits, deadlines) decides on. */
export interface AdmissionRequest {
  principal: Principal;
  /** The gRPC path, `/package.Service/Method`. */
  method: string;
  streaming: boolean;
  deadline: ReturnType<AnyCall["getDeadline"]>;
}

/** After authorization: null lets the call run, a status ends it (RESOURCE_EXHAUSTED, …). */
export type Admission = (request: AdmissionRequest) => Promise<ServerErrorResponse | null>;

async function callerOf(
  call: AnyCall,
  authenticator: Authenticator,
  certificates: CertificateAuthenticator | undefined,
): Promise<Principal | null> {
  if (certificates) {
    // grpc-js gives the peer certificate only on a TLS connection whose certificate verified.
    const context = call.getAuthContext();
    if (context.transportSecurityType === "ssl" && context.sslPeerCertificate) {
      const principal = certificates.authenticate(context.sslPeerCertificate);
      if (principal) return principal;
    }
  }
  return authenticator.authenticate(call.metadata);
}

/** Null when the call may go on (its principal then recorded for principalOf), else the status to end it with. */
async function authorizeCall(
  call: AnyCall,
  required: MethodAccess,
  access: CallAccess,
): Promise<ServerErrorResponse | null> {
  let principal: Principal | null;
  try {
    principal = await callerOf(call, access.authenticator, access.certificates);
  } catch {
    // A verifier that throws is a bug, not a credential problem: fail closed, without details.
    return grpcError(status.INTERNAL, "authentication failed");
  }
  if (!principal) return grpcError(status.UNAUTHENTICATED, "missing or invalid credentials");
  if (required.startsWith("platform:")) {
    const role = required.slice("platform:".length) as Role;
    if (!access.platformTenant || principal.tenant !== access.platformTenant || !hasRole(principal, role)) {
      return grpcError(
        status.PERMISSION_DENIED,
        `principal ${principal.id} lacks role ${role} in the platform tenant: this method acts on the whole deployment`,
      );
    }
  } else {
    const allowed = required === "any" ? principal.roles.length > 0 : hasRole(principal, required as Role);
    if (!allowed) {
      const what = required === "any" ? "a role" : `role ${required}`;
      return grpcError(status.PERMISSION_DENIED, `principal ${principal.id} lacks ${what}`);
    }
  }
  principals.set(call, principal);
  return null;
}

/** What grpc-js answers when a handler throws synchronously (it can no longer catch it for us). */
const handlerThrew = () => grpcError(status.UNKNOWN, "Unknown error");

function guard(
  handler: UntypedHandleCall,
  responseStream: boolean,
  authorize: (call: AnyCall) => Promise<ServerErrorResponse | null>,
): UntypedHandleCall {
  if (!responseStream) {
    const unaryLike = handler as
      | handleUnaryCall<unknown, unknown>
      | handleClientStreamingCall<unknown, unknown> as (call: unknown, callback: unknown) => void;
    return ((call: AnyCall, callback: (error: ServerErrorResponse | null) => void) => {
      void authorize(call).then((denied) => {
        if (denied) return callback(denied);
        if (call.cancelled) return;
        try {
          unaryLike(call, callback);
        } catch {
          callback(handlerThrew());
        }
      });
    }) as UntypedHandleCall;
  }
  const streaming = handler as
    | handleServerStreamingCall<unknown, unknown>
    | handleBidiStreamingCall<unknown, unknown> as (call: unknown) => void;
  return ((call: AnyCall) => {
    void authorize(call).then((denied) => {
      if (denied) {
        call.emit("error", denied);
        return;
      }
      if (call.cancelled) return;
      try {
        streaming(call);
      } catch {
        call.emit("error", handlerThrew());
      }
    });
  }) as UntypedHandleCall;
}
