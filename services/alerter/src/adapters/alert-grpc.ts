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
  type GrpcServiceRegistration,
  grpcError,
  invalidArgument,
  principalOf,
  respondUnary,
} from "@argus/runtime";
import { type handleUnaryCall, type ServerUnaryCall, status } from "@grpc/grpc-js";
import { type AlertRecord, isAcknowledged } from "../domain/alert.js";
import { sampleEventIds } from "../domain/episode.js";
import { integrationName, type Notification } from "../domain/notification.js";
import {
  formatMatcher,
  type Matcher,
  MatcherError,
  matchesAll,
  parseMatcher,
} from "../domain/routing/matchers.js";
import { type Silence, silenceState, validateSilence } from "../domain/silences.js";
import type { AlertActions } from "./alert-actions.js";
import type { AlertEventRecord, AlertStore } from "./alert-store.js";
import { listDeadLetters } from "./dead-letter-list.js";
import type { SilenceStore } from "./silence-store.js";
import { type PagePosition, pageTokenOf, parsePageToken } from "./sorted-set-pages.js";

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
  store: AlertStore;
  silences: SilenceStore;
  actions: AlertActions;
}

type Handler<Req, Res> = (
  call: ServerUnaryCall<Req, Res>,
  who: { tenant: string; actor: string },
) => Promise<Res>;

/** A unary handler with the caller's tenant and principal id, errors mapped to gRPC statuses. */
function unary<Req, Res>(what: string, body: Handler<Req, Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const principal = principalOf(call);
    respondUnary(callback, what, () => body(call, { tenant: principal.tenant, actor: principal.id }));
  };
}

export function alertServiceRegistration(deps: AlertServiceDeps): GrpcServiceRegistration {
  const { store, silences, actions } = deps;
  const implementation: AlertServiceServer = {
    listAlerts: unary("alert store", async (call, { tenant }) => {
      const request = call.request;
      const problem = validateListAlerts(request);
      if (problem) throw invalidArgument(problem);
      const matchers = parseMatchers(request.matchers, "matchers");
      const after = request.pageToken ? (parsePageToken(request.pageToken, fingerprintShape) ?? null) : null;
      const pageSize = request.pageSize || defaultPageSize;
      const { alerts, next } = await collectPage(store, after, pageSize, (alert) =>
        matches(alert, request, tenant, matchers),
      );
      const acks = await store.getAcks(alerts.map((alert) => alert.fingerprint));
      return {
        alerts: alerts.map((alert) => toProto(alert, acks.get(alert.fingerprint))),
        nextPageToken: next === null ? "" : pageTokenOf(next),
      };
    }),
    getAlert: unary("alert store", async (call, { tenant }) => {
      const fingerprint = requireFingerprint(call.request.fingerprint);
      const { alert } = await actions.alertOf(tenant, fingerprint);
      const [acks, history] = await Promise.all([store.getAcks([fingerprint]), store.history(fingerprint)]);
      return { alert: toProto(alert, acks.get(fingerprint)), history: history.map(toEvent) };
    }),
    acknowledge: unary("alert store", async (call, who) => {
      const note = requireNote(call.request.note, false);
      const fingerprint = requireFingerprint(call.request.fingerprint);
      await actions.acknowledge(who.tenant, who.actor, fingerprint, note);
      return { alert: await alertView(fingerprint) };
    }),
    unacknowledge: unary("alert store", async (call, who) => {
      const fingerprint = requireFingerprint(call.request.fingerprint);
      await actions.unacknowledge(who.tenant, who.actor, fingerprint);
      return { alert: await alertView(fingerprint) };
    }),
    resolve: unary("alert store", async (call, who) => {
      const fingerprint = requireFingerprint(call.request.fingerprint);
      const note = requireNote(call.request.note, false);
      const found = await actions.alertOf(who.tenant, fingerprint);
      const resolved = await actions.resolve(found, who.actor, new Date(), note);
      if (!resolved) throw grpcError(status.FAILED_PRECONDITION, "the alert is not firing");
      await actions.record(who.actor, who.tenant, "alerter.resolve", fingerprint, { note });
      return { alert: await alertView(fingerprint) };
    }),
    createSilence: unary("silence store", async (call, who) => {
      const request = call.request;
      const matchers = parseMatchers(request.matchers, "matchers");
      const now = new Date();
      if (!request.endsAt) throw invalidArgument("ends_at is required");
      const input = {
        matchers,
        ...(request.startsAt ? { startsAt: request.startsAt } : {}),
        endsAt: request.endsAt,
        createdBy: who.actor,
        comment: request.comment,
      };
      const problem = validateSilence(input, now);
      if (problem) throw invalidArgument(problem);
      const silence = await silences.create(who.tenant, input, now);
      await actions.record(who.actor, who.tenant, "alerter.create_silence", silence.id, {
        matchers: request.matchers.join(", "),
        ends_at: silence.endsAt,
        comment: silence.comment,
      });
      return { silence: silenceToProto(silence, now) };
    }),
    listSilences: unary("silence store", async (call, { tenant }) => {
      const wanted = call.request.state;
      if (wanted === SilenceState.UNRECOGNIZED) throw invalidArgument("state is not a known SilenceState");
      const now = new Date();
      const all = (await silences.list(tenant)).map((silence) => silenceToProto(silence, now));
      return {
        silences: all
          .filter((silence) => wanted === SilenceState.SILENCE_STATE_UNSPECIFIED || silence.state === wanted)
          .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0)),
      };
    }),
    expireSilence: unary("silence store", async (call, who) => {
      const id = call.request.id;
      if (!/^[0-9a-f-]{36}$/.test(id))
        throw invalidArgument("id must be a silence id returned by CreateSilence");
      const now = new Date();
      const silence = await silences.expire(who.tenant, id, now);
      if (!silence) throw grpcError(status.NOT_FOUND, `no silence with id ${id}`);
      await actions.record(who.actor, who.tenant, "alerter.expire_silence", id);
      return { silence: silenceToProto(silence, now) };
    }),
    listDeadLetters: unary("outbox", async (call, { tenant }) => {
      const { pageSize, pageToken } = call.request;
      if (pageSize < 0 || pageSize > maxPageSize)
        throw invalidArgument(`page_size must be between 0 and ${maxPageSize}, got ${pageSize}`);
      const after = pageToken ? parsePageToken(pageToken, notificationId) : null;
      if (after === undefined) throw invalidArgument("page_token is not a token returned by ListDeadLetters");
      const { items, next } = await listDeadLetters(store, tenant, after, pageSize || defaultPageSize);
      return { deadLetters: items.map(deadToProto), nextPageToken: next === null ? "" : pageTokenOf(next) };
    }),
    replayDeadLetter: unary("outbox", async (call, who) => {
      const id = call.request.id;
      if (!/^msg_[A-Za-z0-9_-]{1,64}$/.test(id))
        throw invalidArgument("id must be a webhook-id from ListDeadLetters (msg_…)");
      return { deadLetter: deadToProto(await actions.replay(who.tenant, who.actor, id)) };
    }),
    testReceiver: unary("receiver", async (call, who) => {
      const name = call.request.receiver;
      if (!name) throw invalidArgument("receiver is required");
      return { results: await actions.testReceiver(who.actor, who.tenant, name) };
    }),
    reloadConfig: unary("configuration", async (_call, who) => {
      const loaded = await actions.reload(who.actor, who.tenant);
      return { configHash: loaded.hash, routes: loaded.routes, receivers: loaded.config.receivers.size };
    }),
    eraseClient: unary("alert store", async (call, who) => {
      const clientId = call.request.clientId;
      if (!clientId || clientId.length > 256) throw invalidArgument("client_id must be 1-256 characters");
      return actions.eraseClient(who.tenant, who.actor, clientId);
    }),
  };

  async function alertView(fingerprint: string): Promise<Alert> {
    const found = await store.getAlert(fingerprint);
    if (!found) throw grpcError(status.NOT_FOUND, `no alert with fingerprint ${fingerprint}`);
    const acks = await store.getAcks([fingerprint]);
    return toProto(found.alert, acks.get(fingerprint));
  }

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
    throw invalidArgument("fingerprint must be 1-256 characters of [A-Za-z0-9:._-]");
  return fingerprint;
}

function requireNote(note: string, required: boolean): string {
  if (required && !note.trim()) throw invalidArgument("note is required");
  if (note.length > 1000) throw invalidArgument("note must be at most 1000 characters");
  return note;
}

function parseMatchers(texts: string[], field: string): Matcher[] {
  if (texts.length > 64) throw invalidArgument(`${field}: at most 64 matchers`);
  return texts.map((text, index) => {
    try {
      return parseMatcher(text);
    } catch (error) {
      if (error instanceof MatcherError) throw invalidArgument(`${field}[${index}]: ${error.message}`);
      throw error;
    }
  });
}

function matches(
  alert: AlertRecord,
  request: { modelId: string; state: AlertState },
  tenant: string,
  matchers: Matcher[],
): boolean {
  if (alert.tenant !== tenant) return false;
  if (request.modelId && alert.modelId !== request.modelId) return false;
  if (request.state === AlertState.ALERT_STATE_FIRING && alert.state !== "firing") return false;
  if (request.state === AlertState.ALERT_STATE_RESOLVED && alert.state !== "resolved") return false;
  return matchesAll(matchers, alert.labels);
}

/** Scans the recency index in slices until a page of matching alerts is full or the index ends. */
async function collectPage(
  store: AlertStore,
  after: PagePosition | null,
  pageSize: number,
  keep: (alert: AlertRecord) => boolean,
): Promise<{ alerts: AlertRecord[]; next: PagePosition | null }> {
  const alerts: AlertRecord[] = [];
  let position = after;
  for (;;) {
    const rows = await store.listByRecency(position, pageSize);
    if (rows.length === 0) return { alerts, next: null };
    for (const row of rows) {
      position = row.position;
      if (row.alert && keep(row.alert)) alerts.push(row.alert);
      if (alerts.length === pageSize) return { alerts, next: position };
    }
  }
}

function toProto(alert: AlertRecord, ack: Parameters<typeof isAcknowledged>[1]): Alert {
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

function toEvent(event: AlertEventRecord): AlertEvent {
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

function deadToProto(item: Notification): DeadNotification {
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
