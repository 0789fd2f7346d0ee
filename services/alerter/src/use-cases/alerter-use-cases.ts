import type { AlertStore } from "../adapters/alert-store.js";
import type { PagePosition } from "../adapters/sorted-set-pages.js";
import type { AlertRecord } from "../domain/alert.js";
import type { AlertQuery } from "../domain/alert-query.js";
import { type AcknowledgeDeps, acknowledgeAlert, unacknowledgeAlert } from "./acknowledge-alert.js";
import { type CreateSilenceDeps, createSilence, type SilenceRequest } from "./create-silence.js";
import { type EndEpisodeDeps, endEpisode } from "./end-episode.js";
import { type EraseClientDeps, eraseClient } from "./erase-client.js";
import { type ExpireSilenceDeps, expireSilence } from "./expire-silence.js";
import { getAlert } from "./get-alert.js";
import { listAlerts } from "./list-alerts.js";
import type { Caller } from "./ports.js";
import { type ReloadDeps, reloadRouting } from "./reload-routing.js";
import { type ReplayDeps, replayDeadLetter } from "./replay-dead-letter.js";
import { type ResolveDeps, resolveAlert } from "./resolve-alert.js";
import { type TestReceiverDeps, testReceiver } from "./test-receiver.js";

/** Everything the alerter's use cases need, built once by the wiring. */
export type AlerterUseCaseDeps = AcknowledgeDeps &
  EndEpisodeDeps &
  ResolveDeps &
  ReplayDeps &
  TestReceiverDeps &
  ReloadDeps &
  EraseClientDeps &
  CreateSilenceDeps &
  ExpireSilenceDeps & {
    store: Pick<AlertStore, "listByRecency" | "getAcks" | "history">;
  };

/** The alerter's use cases bound to their stores and ports: what its gRPC service and workers call. */
export function alerterUseCases(deps: AlerterUseCaseDeps) {
  return {
    listAlerts: (query: AlertQuery, after: PagePosition | null, pageSize: number) =>
      listAlerts(deps.store, query, after, pageSize),
    getAlert: (caller: Caller, fingerprint: string) => getAlert(deps.store, caller, fingerprint),
    acknowledge: (caller: Caller, fingerprint: string, note: string) =>
      acknowledgeAlert(deps, caller, fingerprint, note),
    unacknowledge: (caller: Caller, fingerprint: string) => unacknowledgeAlert(deps, caller, fingerprint),
    resolve: (caller: Caller, fingerprint: string, note: string) =>
      resolveAlert(deps, caller, fingerprint, note),
    /** The resolve timeout's way to end an episode (no caller: the alerter itself). */
    endEpisode: (found: { raw: string; alert: AlertRecord }, by: string, at: Date) =>
      endEpisode(deps, found, by, at),
    createSilence: (caller: Caller, request: SilenceRequest) => createSilence(deps, caller, request),
    expireSilence: (caller: Caller, id: string) => expireSilence(deps, caller, id),
    replayDeadLetter: (caller: Caller, id: string) => replayDeadLetter(deps, caller, id),
    testReceiver: (caller: Caller, receiver: string) => testReceiver(deps, caller, receiver),
    reloadRouting: (caller: Caller) => reloadRouting(deps, caller),
    eraseClient: (caller: Caller, clientId: string) => eraseClient(deps, caller, clientId),
  };
}

export type AlerterUseCases = ReturnType<typeof alerterUseCases>;
