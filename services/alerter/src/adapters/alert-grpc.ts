import {
  type Alert,
  type AlertEvent,
  type AlertServiceServer,
  AlertServiceService,
  AlertState,
  type DeadNotification,
  type Silence as SilenceMessage,
  SilenceState,
} from "@argus/proto";
import {
  callerScope,
  type GrpcServiceRegistration,
  type Logger,
  requireClientId,
  requireOptionalModelId,
} from "@argus/runtime";
import type { handleUnaryCall, ServerUnaryCall } from "@grpc/grpc-js";
import { type AlertRecord, isAcknowledged } from "../domain/alert.js";
import { sampleEventIds } from "../domain/episode.js";
import { InvalidArgument } from "../domain/errors.js";
import type { HistoryEntry } from "../domain/history.js";
import { integrationName, type Notification } from "../domain/notification.js";
import { formatMatcher, type Matcher, MatcherError, parseMatcher } from "../domain/routing/matchers.js";
import { type Silence, silenceState } from "../domain/silences.js";
import type { AlerterUseCases } from "../use-cases/alerter-use-cases.js";
import type { AlertView } from "../use-cases/get-alert.js";
import type { Caller } from "../use-cases/ports.js";
import type { AlertStore } from "./alert-store.js";
import { listDeadLetters } from "./dead-letter-list.js";
import { grpcErrorOf, isFault } from "./grpc-error-status.js";
import type { SilenceStore } from "./silence-store.js";
import { pageTokenOf, parsePageToken } from "./sorted-set-pages.js";

const defaultPageSize = 100;
const maxPageSize = 1000;

/** Who may call what: the one place access to AlertService is decided. */
export const alertServiceRoles = {
  listAlerts: "viewer",
  getAlert: "viewer",
  acknowledge: "operator",
  unacknowledge: "operator",
  resolve: "operator",
  createSilence: "operator",
  listSilences: "viewer",
  expireSilence: "operator",
  listDeadLetters: "viewer",
  replayDeadLetter: "operator",
  // Receivers and the routing file belong to the deployment, not to a tenant.
  testReceiver: "platform:operator",
  reloadConfig: "platform:admin",
  eraseClient: "admin",
} as const;

export interface AlertServiceDeps {
  /** Read by ListDeadLetters. */
  store: AlertStore;
  /** Read by ListSilences. */
  silences: SilenceStore;
  useCases: AlerterUseCases;
  logger: Logger;
}

type Handler<Req, Res> = (call: ServerUnaryCall<Req, Res>, caller: Caller) => Promise<Res>;

export function alertServiceRegistration(deps: AlertServiceDeps): GrpcServiceRegistration {
  const { store, silences, useCases, logger } = deps;

  /** A unary handler with the caller's tenant and principal id; the one place failures become statuses. */
  function unary<Req, Res>(what: string, body: Handler<Req, Res>): handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const scope = callerScope(call);
      body(call, { tenant: scope.tenant, actor: scope.principal }).then(
        (value) => callback(null, value),
        (error: unknown) => {
          if (isFault(error))
            logger.error({ err: error, method: call.getPath() }, `AlertService call failed in the ${what}`);
          callback(grpcErrorOf(error, what));
        },
      );
    };
  }

  const implementation: AlertServiceServer = {
    listAlerts: unary("alert store", async (call, { tenant }) => {
      const request = call.request;
      const problem = validateListAlerts(request);
      if (problem) throw new InvalidArgument(problem);
      const query = {
        tenant,
        modelId: requireOptionalModelId(request.modelId),
        ...stateFilter(request.state),
        matchers: parseMatchers(request.matchers, "matchers"),
      };
      const after = request.pageToken ? (parsePageToken(request.pageToken, fingerprintShape) ?? null) : null;
      const { alerts, next } = await useCases.listAlerts(query, after, request.pageSize || defaultPageSize);
      return { alerts: alerts.map(toProto), nextPageToken: next === null ? "" : pageTokenOf(next) };
    }),
    getAlert: unary("alert store", async (call, caller) => {
      const fingerprint = requireFingerprint(call.request.fingerprint);
      const { history, ...view } = await useCases.getAlert(caller, fingerprint);
      return { alert: toProto(view), history: history.map(toEvent) };
    }),
    acknowledge: unary("alert store", async (call, caller) => {
      const note = requireNote(call.request.note, false);
      const fingerprint = requireFingerprint(call.request.fingerprint);
      return { alert: toProto(await useCases.acknowledge(caller, fingerprint, note)) };
    }),
    unacknowledge: unary("alert store", async (call, caller) => {
      const fingerprint = requireFingerprint(call.request.fingerprint);
      return { alert: toProto(await useCases.unacknowledge(caller, fingerprint)) };
    }),
    resolve: unary("alert store", async (call, caller) => {
      const fingerprint = requireFingerprint(call.request.fingerprint);
      const note = requireNote(call.request.note, false);
      return { alert: toProto(await useCases.resolve(caller, fingerprint, note)) };
    }),
    createSilence: unary("silence store", async (call, caller) => {
      const request = call.request;
      const matchers = parseMatchers(request.matchers, "matchers");
      if (!request.endsAt) throw new InvalidArgument("ends_at is required");
      const { silence, now } = await useCases.createSilence(caller, {
        matchers,
        matchersAsWritten: request.matchers,
        ...(request.startsAt ? { startsAt: request.startsAt } : {}),
        endsAt: request.endsAt,
        comment: request.comment,
      });
      return { silence: silenceToProto(silence, now) };
    }),
    listSilences: unary("silence store", async (call, { tenant }) => {
      const wanted = call.request.state;
      if (wanted === SilenceState.UNRECOGNIZED)
        throw new InvalidArgument("state is not a known SilenceState");
      const now = new Date();
      const all = (await silences.list(tenant)).map((silence) => silenceToProto(silence, now));
      return {
        silences: all
          .filter((silence) => wanted === SilenceState.SILENCE_STATE_UNSPECIFIED || silence.state === wanted)
          .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0)),
      };
    }),
    expireSilence: unary("silence store", async (call, caller) => {
      const id = call.request.id;
      if (!/^[0-9a-f-]{36}$/.test(id))
        throw new InvalidArgument("id must be a silence id returned by CreateSilence");
      const { silence, now } = await useCases.expireSilence(caller, id);
      return { silence: silenceToProto(silence, now) };
    }),
    listDeadLetters: unary("outbox", async (call, { tenant }) => {
      const { pageSize, pageToken } = call.request;
      if (pageSize < 0 || pageSize > maxPageSize)
        throw new InvalidArgument(`page_size must be between 0 and ${maxPageSize}, got ${pageSize}`);
      const after = pageToken ? parsePageToken(pageToken, notificationId) : null;
      if (after === undefined)
        throw new InvalidArgument("page_token is not a token returned by ListDeadLetters");
      const { items, next } = await listDeadLetters(store, tenant, after, pageSize || defaultPageSize);
      return { deadLetters: items.map(deadToProto), nextPageToken: next === null ? "" : pageTokenOf(next) };
    }),
    replayDeadLetter: unary("outbox", async (call, caller) => {
      const id = call.request.id;
      if (!notificationId.test(id))
        throw new InvalidArgument("id must be a webhook-id from ListDeadLetters (msg_…)");
      return { deadLetter: deadToProto(await useCases.replayDeadLetter(caller, id)) };
    }),
    testReceiver: unary("receiver", async (call, caller) => {
      const name = call.request.receiver;
      if (!name) throw new InvalidArgument("receiver is required");
      return { results: await useCases.testReceiver(caller, name) };
    }),
    reloadConfig: unary("configuration", async (_call, caller) => {
      const loaded = await useCases.reloadRouting(caller);
      return { configHash: loaded.hash, routes: loaded.routes, receivers: loaded.config.receivers.size };
    }),
    eraseClient: unary("alert store", async (call, caller) => {
      return useCases.eraseClient(caller, requireClientId(call.request.clientId));
    }),
  };

  return {
    name: "argus.v1.AlertService",
    definition: AlertServiceService,
    implementation,
    methodRoles: alertServiceRoles,
  };
}

export function validateListAlerts(request: {
  pageSize: number;
  pageToken: string;
  state: AlertState;
}): string | null {
  if (request.pageSize < 0 || request.pageSize > maxPageSize) {
    return `page_size must be between 0 and ${maxPageSize}, got ${request.pageSize}`;
  }
  if (request.pageToken && parsePageToken(request.pageToken, fingerprintShape) === undefined) {
    return "page_token is not a token returned by ListAlerts";
  }
  if (request.state === AlertState.UNRECOGNIZED) return "state is not a known AlertState";
  return null;
}

const fingerprintShape = /^[A-Za-z0-9:._-]{1,256}$/;
const notificationId = /^msg_[A-Za-z0-9_-]{1,64}$/;

function requireFingerprint(fingerprint: string): string {
  if (!fingerprintShape.test(fingerprint))
    throw new InvalidArgument("fingerprint must be 1-256 characters of [A-Za-z0-9:._-]");
  return fingerprint;
}

function requireNote(note: string, required: boolean): string {
  if (required && !note.trim()) throw new InvalidArgument("note is required");
  if (note.length > 1000) throw new InvalidArgument("note must be at most 1000 characters");
  return note;
}

function parseMatchers(texts: string[], field: string): Matcher[] {
  if (texts.length > 64) throw new InvalidArgument(`${field}: at most 64 matchers`);
  return texts.map((text, index) => {
    try {
      return parseMatcher(text);
    } catch (error) {
      if (error instanceof MatcherError) throw new InvalidArgument(`${field}[${index}]: ${error.message}`);
      throw error;
    }
  });
}

function stateFilter(state: AlertState): { state?: AlertRecord["state"] } {
  if (state === AlertState.ALERT_STATE_FIRING) return { state: "firing" };
  if (state === AlertState.ALERT_STATE_RESOLVED) return { state: "resolved" };
  return {};
}

function toProto({ alert, ack }: AlertView): Alert {
  const acknowledged = isAcknowledged(alert, ack) && ack;
  return {
    fingerprint: alert.fingerprint,
    state: alert.state === "firing" ? AlertState.ALERT_STATE_FIRING : AlertState.ALERT_STATE_RESOLVED,
    labels: alert.labels,
    kind: alert.kind,
    severity: alert.severity,
    modelId: alert.modelId,
    summary: alert.summary,
    startsAt: new Date(alert.startsAt),
    updatedAt: new Date(alert.updatedAt),
    endsAt: alert.endsAt ? new Date(alert.endsAt) : undefined,
    findingCount: alert.findingCount,
    lastFindingId: alert.lastFindingId,
    acknowledgement: acknowledged
      ? { by: acknowledged.by, at: new Date(acknowledged.at), note: acknowledged.note }
      : undefined,
    evidence: alert.evidence,
    resolvedBy: alert.resolvedBy ?? "",
    firstSeenAt: new Date(alert.episode.firstSeenAt),
    lastSeenAt: new Date(alert.episode.lastSeenAt),
    categories: alert.episode.categories,
    categoriesTruncated: alert.episode.categoriesTruncated,
    sampleEventIds: sampleEventIds(alert.episode),
    clientId: alert.clientId ?? "",
  };
}

function toEvent(event: HistoryEntry): AlertEvent {
  return {
    at: new Date(event.at),
    action: event.action,
    actor: event.actor,
    detail: event.detail ?? "",
    notificationId: event.notificationId ?? "",
    receiver: event.receiver ?? "",
    httpStatus: event.httpStatus ?? 0,
  };
}

const silenceStates = {
  pending: SilenceState.SILENCE_STATE_PENDING,
  active: SilenceState.SILENCE_STATE_ACTIVE,
  expired: SilenceState.SILENCE_STATE_EXPIRED,
} as const;

function silenceToProto(silence: Silence, now: Date): SilenceMessage {
  return {
    id: silence.id,
    matchers: silence.matchers.map(formatMatcher),
    startsAt: new Date(silence.startsAt),
    endsAt: new Date(silence.endsAt),
    createdBy: silence.createdBy,
    comment: silence.comment,
    state: silenceStates[silenceState(silence, now)],
    createdAt: new Date(silence.createdAt),
  };
}

function deadToProto(item: Omit<Notification, "body">): DeadNotification {
  return {
    id: item.id,
    receiver: item.receiver,
    integration: integrationName(item.receiver, { type: item.integrationType }, item.integration),
    groupKey: item.groupKey,
    reason: item.deadReason ?? "",
    attempts: item.attempts,
    createdAt: new Date(item.createdAt),
    deadAt: item.deadAt ? new Date(item.deadAt) : undefined,
  };
}
