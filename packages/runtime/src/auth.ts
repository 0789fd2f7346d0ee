import { createHash } from "node:crypto";
import { type Metadata, type ServerErrorResponse, status } from "@grpc/grpc-js";
import { z } from "zod";
import { ConfigError } from "./config.js";

export const roles = ["viewer", "operator", "admin", "ingest"] as const;
export type Role = (typeof roles)[number];

export interface Principal {
  id: string;
  tenant: string;
  roles: readonly Role[];
}

/** Roles that a role grants: an admin can do what an operator can, an operator what a viewer can. */
const grants: Record<Role, readonly Role[]> = {
  viewer: ["viewer"],
  operator: ["operator", "viewer"],
  admin: ["admin", "operator", "viewer", "ingest"],
  ingest: ["ingest"],
};

export function hasRole(principal: Principal, required: Role): boolean {
  return principal.roles.some((held) => grants[held].includes(required));
}

export interface Authenticator {
  /**
   * The principal behind the call's bearer token, or null when there is none or it is wrong.
   * Asynchronous because a JWT's signature is verified with WebCrypto.
   */
  authenticate(metadata: Metadata): Promise<Principal | null>;
}

/** Checks one kind of bearer token (e.g. a JWT verifier); null means the token is not accepted. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal | null>;
}

export const principalEntry = z.object({
  principal: z.string().min(1),
  tenant: z.string().min(1),
  roles: z.array(z.enum(roles)).min(1),
});

const apiKeyEntry = principalEntry.extend({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be the lowercase hex SHA-256 of the key"),
});

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Parses a JSON list in an environment variable against `schema`; a ConfigError names the variable,
 * the entry and the field, never the offending value (it may be a secret pasted by mistake).
 */
export function parseJsonList<T extends z.ZodType>(variable: string, json: string, schema: T): z.infer<T>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    // Not JSON.parse's message: it quotes the text, which may hold a secret.
    throw new ConfigError(`${variable}: not valid JSON`);
  }
  const result = z.array(schema).safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(`${variable}[${issue?.path.join(".")}]: ${issue?.message}`);
  }
  return result.data;
}

/** The token of an `authorization: Bearer <token>` header, or null. */
export function bearerToken(metadata: Metadata): string | null {
  const header = metadata.get("authorization")[0];
  if (typeof header !== "string") return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

/** Three base64url parts separated by dots (the last, the signature, empty for `alg: none`). */
const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(token: string): boolean {
  return jwtShape.test(token);
}

export interface BearerSources {
  /** ARGUS_API_KEYS: a JSON list of {principal, tenant, roles, sha256}. */
  apiKeys?: string;
  /** Verifies tokens that look like JWTs; without it such tokens are refused. */
  jwt?: TokenVerifier;
}

/**
 * Bearer tokens of two kinds: a token shaped like a JWT goes to the JWT verifier (and only to it),
 * any other token is looked up in the static API key table.
 *
 * API keys are configured only as SHA-256 hashes so that the configuration (and a leaked copy of
 * it) never holds a usable key. Keys are high-entropy random tokens, so an unsalted hash is enough;
 * they never contain dots, so they are never mistaken for JWTs.
 */
export function bearerAuthenticator(sources: BearerSources): Authenticator {
  const byHash = new Map<string, Principal>();
  for (const entry of parseJsonList("ARGUS_API_KEYS", sources.apiKeys ?? "[]", apiKeyEntry)) {
    byHash.set(entry.sha256, { id: entry.principal, tenant: entry.tenant, roles: entry.roles });
  }
  const jwt = sources.jwt;
  return {
    async authenticate(metadata) {
      const token = bearerToken(metadata);
      if (token === null) return null;
      if (looksLikeJwt(token)) return jwt ? jwt.verify(token) : null;
      return byHash.get(sha256Hex(token)) ?? null;
    },
  };
}

/** Static API keys only (see bearerAuthenticator). */
export function apiKeyAuthenticator(json: string): Authenticator {
  return bearerAuthenticator({ apiKeys: json });
}

export function grpcError(code: status, details: string): ServerErrorResponse {
  return Object.assign(new Error(details), { code, details });
}

export function invalidArgument(message: string): ServerErrorResponse {
  return grpcError(status.INVALID_ARGUMENT, message);
}

/**
 * Runs an async unary handler body: a thrown gRPC status (INVALID_ARGUMENT, NOT_FOUND…) goes to the
 * caller as is; anything else means a dependency failed, reported as UNAVAILABLE naming `what`.
 */
export function respondUnary<T>(
  callback: (error: ServerErrorResponse | null, value?: T) => void,
  what: string,
  body: () => Promise<T>,
): void {
  body().then(
    (value) => callback(null, value),
    (error: Error & { code?: number }) =>
      callback(
        typeof error.code === "number"
          ? error
          : grpcError(status.UNAVAILABLE, `${what} unavailable: ${error.message}`),
      ),
  );
}
