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
  type CallerScope,
  callerScope,
  type GrpcServiceRegistration,
  invalidArgument,
  requireClientId,
  requireModelId,
  requireOptionalClientId,
  requireOptionalModelId,
  respondUnary,
  visibleToCaller,
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
  const riskOf = (clientId: string, stored: ClientState | undefined, scope: CallerScope): ClientRisk => {
    const state = visibleToCaller(scope, stored);
    if (!state) return { clientId, score: 0, reasons: [], updatedAt: undefined, queries: 0 };
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
      const clientId = requireClientId(call.request.clientId);
      const scope = callerScope(call);
      return { risk: riskOf(clientId, await store.client(scope.tenant, clientId), scope) };
    });
  };

  const listRiskyClients: handleUnaryCall<ListRiskyClientsRequest, ListRiskyClientsResponse> = (
    call,
    callback,
  ) => {
    respondUnary(callback, "anomaly store", async () => {
      const { limit } = call.request;
      if (limit < 0 || limit > 1000) throw invalidArgument("limit must be between 0 and 1000");
      const modelId = requireOptionalModelId(call.request.modelId);
      const scope = callerScope(call);
      const { tenant } = scope;
      const wanted = limit || 50;
      const candidates = await store.riskiest(tenant, modelId, wanted * 2);
      const states = await store.clients(tenant, candidates);
      const risks = candidates.map((clientId, i) => riskOf(clientId, states[i], scope));
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
      requireModelId(event.modelId, "event.model_id");
      requireOptionalClientId(event.clientId, "event.client_id");
      const scope = callerScope(call);
      const now = new Date(clock());
      const findings = [
        ...detectInputViolations(deps.schemas, event, now),
        ...(deps.scanEvent?.(event, now) ?? []),
      ];
      const clientRisk = event.clientId
        ? riskOf(event.clientId, await store.client(scope.tenant, event.clientId), scope).score
        : 0;
      return screenVerdict(findings, clientRisk);
    });
  };

  const eraseClient: handleUnaryCall<EraseClientRequest, EraseClientResponse> = (call, callback) => {
    respondUnary(callback, "anomaly store", async () => {
      const clientId = requireClientId(call.request.clientId);
      const scope = callerScope(call);
      const erased = await store.erase(clientId, scope.tenant);
      // The audit log is kept (hash chain): it names the client by digest, never by its id.
      await deps.audit.append({
        actor: scope.principal,
        tenant: scope.tenant,
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
