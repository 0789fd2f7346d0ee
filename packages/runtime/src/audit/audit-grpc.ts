import { type AuditEntry as AuditEntryMessage, AuditServiceService } from "@argus/proto";
import { invalidArgument, respondUnary } from "../auth.js";
import { callerScope } from "../grpc-scope.js";
import type { GrpcServiceRegistration } from "../grpc-server.js";
import type { AuditLog } from "./audit-log.js";
import { type AuditChainItem, decodeAuditEntry, type StoredAuditRecord } from "./chain.js";

/**
 * Who may call what: the audit log is for admins only; verifying reads every tenant's records, so it
 * is for the platform's admins.
 */
export const auditServiceRoles = { verify: "platform:admin", listAuditEntries: "admin" } as const;

const maxPageSize = 1000;

/** AuditService, served by every Argus service over the deployment's one audit log. */
export function auditServiceRegistration(audit: AuditLog): GrpcServiceRegistration {
  return {
    name: "argus.v1.AuditService",
    definition: AuditServiceService,
    methodRoles: auditServiceRoles,
    implementation: {
      verify: (_call: unknown, callback: Parameters<typeof respondUnary>[0]) =>
        respondUnary(callback, "audit log", async () => {
          const result = await audit.verify();
          return result.ok
            ? { intact: true, count: result.count, firstBrokenSeq: 0, reason: "" }
            : {
                intact: false,
                count: result.count,
                firstBrokenSeq: result.firstBroken.seq,
                reason: result.firstBroken.reason,
              };
        }),
      listAuditEntries: (
        call: { request: { pageSize: number } },
        callback: Parameters<typeof respondUnary>[0],
      ) =>
        respondUnary(callback, "audit log", async () => {
          const { pageSize } = call.request;
          if (pageSize < 0 || pageSize > maxPageSize) {
            throw invalidArgument(`page_size must be between 0 and ${maxPageSize}, got ${pageSize}`);
          }
          const { tenant } = callerScope(call);
          return { entries: await newestOfTenant(audit, tenant, pageSize || 100) };
        }),
    },
  };
}

/** Newest first, scanning back through the stream until `limit` entries of `tenant` are found. */
async function newestOfTenant(audit: AuditLog, tenant: string, limit: number): Promise<AuditEntryMessage[]> {
  const found: AuditEntryMessage[] = [];
  let end = "+";
  for (;;) {
    const page = (await audit.redis.xrevrange(audit.key, end, "-", "COUNT", 500)) as [string, string[]][];
    if (page.length === 0) return found;
    for (const [id, fields] of page) {
      const item: AuditChainItem = decodeAuditEntry(id, fields);
      if ("seq" in item && item.tenant === tenant) found.push(toMessage(item));
      if (found.length === limit) return found;
    }
    end = `(${(page.at(-1) as [string, string[]])[0]}`;
  }
}

function toMessage(record: StoredAuditRecord): AuditEntryMessage {
  return {
    seq: record.seq,
    at: new Date(record.at),
    actor: record.actor,
    tenant: record.tenant,
    action: record.action,
    target: record.target,
    detail: record.detail,
    hash: record.hash,
    prev: record.prev,
  };
}
