import {
  AnomalyServiceService,
  type ClientRisk,
  type EraseClientRequest,
  type EraseClientResponse,
  type Finding,
  type GetClientRiskRequest,
  type GetClientRiskResponse,
  type InferenceEvent,
  type ListRiskyClientsRequest,
  type ListRiskyClientsResponse,
  type ScreenInputRequest,
  type ScreenInputResponse,
} from "@argus/proto";
import {
  type AuditLog,
  type GrpcServiceRegistration,
  invalidArgument,
  principalOf,
  respondUnary,
} from "@argus/runtime";
import type { handleUnaryCall } from "@grpc/grpc-js";
import { type ClientPolicy, type ClientState, clientQueries } from "../domain/client-state.js";
import { detectInputViolations, type ModelSchemas } from "../domain/index.js";
import { riskNow } from "../domain/risk.js";
import { screenVerdict } from "../domain/screen.js";
import { type AnomalyStore, clientDigest } from "./anomaly-store.js";

/** Reading risk is for viewers; screening is for the inference path (ingest); erasure for admins. */
export const anomalyServiceRoles = {
  getClientRisk: "viewer",
  listRiskyClients: "viewer",
  screenInput: "ingest",
  eraseClient: "admin",
} as const;

const maxIdLength = 256;

interface Deps {
  store: AnomalyStore;
  schemas: ModelSchemas;
  policy: ClientPolicy;
  scanEvent?: (event: InferenceEvent, observedAt: Date) => Finding[];
  clock: () => number;
  audit: AuditLog;
}

export function anomalyServiceRegistration(deps: Deps): GrpcServiceRegistration {
  const { store, policy, clock } = deps;

  /** The client's risk as its own tenant sees it; any other tenant sees an unknown client (risk 0). */
  const riskOf = (clientId: string, state: ClientState | undefined, tenant: string): ClientRisk => {
    if (!state || state.tenant !== tenant) {
      return { clientId, score: 0, reasons: [], updatedAt: undefined, queries: 0 };
    }
    return {
      clientId,
      score: riskNow(state.risk, clock(), policy.risk),
      reasons: state.risk.reasons.map((reason) => ({
        kind: reason.kind,
        detector: reason.detector,
        modelId: reason.modelId,
        at: new Date(reason.atMs),
        summary: reason.summary,
        evidence: reason.evidence,
      })),
      updatedAt: state.risk.updatedAtMs > 0 ? new Date(state.risk.updatedAtMs) : undefined,
      queries: clientQueries(state),
    };
  };

  const getClientRisk: handleUnaryCall<GetClientRiskRequest, GetClientRiskResponse> = (call, callback) => {
    respondUnary(callback, "anomaly store", async () => {
      const { clientId } = call.request;
      if (!clientId || clientId.length > maxIdLength)
        throw invalidArgument(`client_id must be 1-${maxIdLength} characters`);
      const tenant = principalOf(call).tenant;
      return { risk: riskOf(clientId, await store.client(tenant, clientId), tenant) };
    });
  };

  const listRiskyClients: handleUnaryCall<ListRiskyClientsRequest, ListRiskyClientsResponse> = (
    call,
    callback,
  ) => {
    respondUnary(callback, "anomaly store", async () => {
      const { modelId, limit } = call.request;
      if (limit < 0 || limit > 1000) throw invalidArgument("limit must be between 0 and 1000");
      if (modelId.length > 128) throw invalidArgument("model_id must be at most 128 characters");
      const tenant = principalOf(call).tenant;
      const wanted = limit || 50;
      const candidates = await store.riskiest(tenant, modelId, wanted * 2);
      const states = await store.clients(tenant, candidates);
      const risks = candidates.map((clientId, i) => riskOf(clientId, states[i], tenant));
      // Forgotten or fully decayed clients leave the index as they are met. Decided on the client's
      // own risk, not on what this caller may see: another tenant's call must not drop them.
      await store.dropFromIndex(
        tenant,
        modelId,
        candidates.filter((_, i) => {
          const state = states[i];
          return state === undefined || riskNow(state.risk, clock(), policy.risk) < 0.001;
        }),
      );
      return {
        clients: risks
          .filter((risk) => risk.score >= 0.001)
          .sort((a, b) => b.score - a.score)
          .slice(0, wanted),
      };
    });
  };

  const screenInput: handleUnaryCall<ScreenInputRequest, ScreenInputResponse> = (call, callback) => {
    respondUnary(callback, "anomaly store", async () => {
      const event = call.request.event;
      if (!event) throw invalidArgument("event must be set");
      if (!event.modelId) throw invalidArgument("event.model_id must be set");
      if (event.clientId.length > maxIdLength)
        throw invalidArgument(`event.client_id must be at most ${maxIdLength} characters`);
      const now = new Date(clock());
      const findings = [
        ...detectInputViolations(deps.schemas, event, now),
        ...(deps.scanEvent?.(event, now) ?? []),
      ];
      const clientRisk = event.clientId
        ? riskOf(
            event.clientId,
            await store.client(principalOf(call).tenant, event.clientId),
            principalOf(call).tenant,
          ).score
        : 0;
      return screenVerdict(findings, clientRisk);
    });
  };

  const eraseClient: handleUnaryCall<EraseClientRequest, EraseClientResponse> = (call, callback) => {
    respondUnary(callback, "anomaly store", async () => {
      const { clientId } = call.request;
      if (!clientId || clientId.length > maxIdLength)
        throw invalidArgument(`client_id must be 1-${maxIdLength} characters`);
      const principal = principalOf(call);
      const erased = await store.erase(clientId, principal.tenant);
      // The audit log is kept (hash chain): it names the client by digest, never by its id.
      await deps.audit.append({
        actor: principal.id,
        tenant: principal.tenant,
        action: "anomaly.erase_client",
        target: `client-sha256:${clientDigest(clientId)}`,
        detail: {
          keys_removed: String(erased.keysRemoved),
          entries_removed: String(erased.entriesRemoved),
        },
      });
      return { keysRemoved: erased.keysRemoved, entriesRemoved: erased.entriesRemoved };
    });
  };

  return {
    name: "argus.v1.AnomalyService",
    definition: AnomalyServiceService,
    implementation: { getClientRisk, listRiskyClients, screenInput, eraseClient },
    methodRoles: anomalyServiceRoles,
  };
}
