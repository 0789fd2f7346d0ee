import { createHash } from "node:crypto";
import { type Metadata, type ServerErrorResponse, status } from "@grpc/grpc-js";
import { z } from "zod";

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
  /** The principal behind the call's credentials, or null when there are none or they are wrong. */
  authenticate(metadata: Metadata): Principal | null;
}

const apiKeyEntry = z.object({
  principal: z.string().min(1),
  tenant: z.string().min(1),
  roles: z.array(z.enum(roles)).min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be the lowercase hex SHA-256 of the key"),
});
const apiKeyList = z.array(apiKeyEntry);

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Static API keys, configured only as SHA-256 hashes so that the configuration (and a leaked copy
 * of it) never holds a usable key. Keys are high-entropy random tokens, so an unsalted hash is enough.
 */
export function apiKeyAuthenticator(json: string): Authenticator {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`ARGUS_API_KEYS: not valid JSON (${(error as Error).message})`);
  }
  const result = apiKeyList.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`ARGUS_API_KEYS[${issue?.path.join(".")}]: ${issue?.message}`);
  }
  const byHash = new Map<string, Principal>();
  for (const entry of result.data) {
    byHash.set(entry.sha256, { id: entry.principal, tenant: entry.tenant, roles: entry.roles });
  }
  return {
    authenticate(metadata) {
      const header = metadata.get("authorization")[0];
      if (typeof header !== "string") return null;
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match?.[1]) return null;
      return byHash.get(sha256Hex(match[1])) ?? null;
    },
  };
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
