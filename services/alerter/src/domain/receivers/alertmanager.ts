import type { AlertRecord } from "../alert.js";
import { sampleEventIds } from "../episode.js";

/**
 * Alertmanager's webhook payload (webhook_config, version "4"), so anything that consumes Alertmanager
 * webhooks can consume Argus. Fields and semantics follow prometheus.io/docs/alerting/latest/configuration/#webhook_config
 * and Alertmanager's notifier:
 * - `status` is "firing" when any alert of the group fires, else "resolved";
 * - `commonLabels` / `commonAnnotations` are computed over *all* alerts of the group, before truncation
 *   (Alertmanager builds the template data first, then the webhook notifier truncates);
 * - `max_alerts` keeps the first N alerts (0 = unlimited) and reports the rest in `truncatedAlerts`;
 * - a firing alert's `endsAt` is Go's zero time "0001-01-01T00:00:00Z" (Alertmanager resets it in
 *   dispatch so that alerts do not resolve while the notification pipeline runs).
 *
 * Argus-specific choice: each alert's annotations are `summary` and, when the alert has evidence,
 * `evidence` holding the evidence map as a JSON string with sorted keys. Annotations are a flat
 * string map, and flattening (`evidence_rule`, ...) could collide with `summary` or other keys; one
 * JSON string keeps the evidence intact and is a single `JSON.parse` away. The episode in sum rides
 * along: `event_count` (findings of the episode), `first_seen`, `last_seen` and, when there are
 * any, `categories` and `sample_event_ids` (comma-separated).
 */
export interface AlertmanagerAlert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface AlertmanagerPayload {
  version: "4";
  groupKey: string;
  truncatedAlerts: number;
  status: "firing" | "resolved";
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertmanagerAlert[];
}

export interface AlertmanagerPayloadInput {
  receiver: string;
  groupKey: string;
  groupLabels: Record<string, string>;
  alerts: readonly AlertRecord[];
  /** Backlink to the alerter (Alertmanager's `--web.external-url`). */
  externalURL: string;
  /** Alertmanager's `max_alerts`: 0 (the default) sends every alert. */
  maxAlerts?: number;
  /** Link to what produced the alert; Argus has no rule expression, so "" unless given. */
  generatorURL?: (alert: AlertRecord) => string;
}

/** Go's zero `time.Time`, as Alertmanager serializes a firing alert's end. */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

export function alertmanagerPayload(input: AlertmanagerPayloadInput): AlertmanagerPayload {
  const maxAlerts = input.maxAlerts ?? 0;
  if (!Number.isInteger(maxAlerts) || maxAlerts < 0)
    throw new Error(`maxAlerts must be an integer >= 0, got ${maxAlerts}`);
  const all = sortAlerts(input.alerts).map((a) => toAlertmanagerAlert(a, input.generatorURL));
  const kept = maxAlerts > 0 ? all.slice(0, maxAlerts) : all;
  return {
    version: "4",
    groupKey: input.groupKey,
    truncatedAlerts: all.length - kept.length,
    status: all.some((a) => a.status === "firing") ? "firing" : "resolved",
    receiver: input.receiver,
    groupLabels: sortedRecord(input.groupLabels),
    commonLabels: common(all.map((a) => a.labels)),
    commonAnnotations: common(all.map((a) => a.annotations)),
    externalURL: input.externalURL,
    alerts: kept,
  };
}

/**
 * A deterministic order, so every replica and every retry serializes the same bytes: by the
 * alert's labels (as Alertmanager orders a group by its label set), then start, then fingerprint.
 * `Array.prototype.sort` is stable, so equal alerts keep their input order.
 */
export function sortAlerts(alerts: readonly AlertRecord[]): AlertRecord[] {
  return [...alerts].sort(
    (a, b) =>
      compare(labelsKey(a.labels), labelsKey(b.labels)) ||
      compare(a.startsAt, b.startsAt) ||
      compare(a.fingerprint, b.fingerprint),
  );
}

function toAlertmanagerAlert(
  alert: AlertRecord,
  generatorURL: ((alert: AlertRecord) => string) | undefined,
): AlertmanagerAlert {
  const annotations: Record<string, string> = {
    summary: alert.summary,
    event_count: String(alert.findingCount),
    first_seen: alert.episode.firstSeenAt,
    last_seen: alert.episode.lastSeenAt,
  };
  if (Object.keys(alert.evidence).length > 0)
    annotations.evidence = JSON.stringify(sortedRecord(alert.evidence));
  if (alert.episode.categories.length > 0) annotations.categories = alert.episode.categories.join(",");
  const samples = sampleEventIds(alert.episode);
  if (samples.length > 0) annotations.sample_event_ids = samples.join(",");
  const firing = alert.state === "firing";
  return {
    status: alert.state,
    labels: sortedRecord(alert.labels),
    annotations,
    startsAt: alert.startsAt,
    // A resolved alert without a recorded end (should not happen) ends when it was last updated.
    endsAt: firing ? ZERO_TIME : (alert.endsAt ?? alert.updatedAt),
    generatorURL: generatorURL?.(alert) ?? "",
    fingerprint: alert.fingerprint,
  };
}

/** The pairs present, with the same value, in every map (empty for no maps). */
function common(maps: readonly Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) {
    if (rest.every((m) => Object.hasOwn(m, k) && m[k] === v)) out[k] = v;
  }
  return sortedRecord(out);
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => compare(a, b)));
}

function labelsKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => compare(a, b)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Problems with a payload against Alertmanager's documented webhook fields and their types: an
 * empty list means valid. Usable on a built payload at runtime as well as in tests.
 */
export function validateAlertmanagerPayload(payload: unknown): string[] {
  const errors: string[] = [];
  if (!isObject(payload)) return ["payload: must be an object"];
  if (payload.version !== "4") errors.push(`version: must be "4"`);
  for (const f of ["groupKey", "receiver", "externalURL"]) {
    if (typeof payload[f] !== "string") errors.push(`${f}: must be a string`);
  }
  if (!Number.isInteger(payload.truncatedAlerts) || (payload.truncatedAlerts as number) < 0) {
    errors.push("truncatedAlerts: must be an integer >= 0");
  }
  if (payload.status !== "firing" && payload.status !== "resolved") {
    errors.push(`status: must be "firing" or "resolved"`);
  }
  for (const f of ["groupLabels", "commonLabels", "commonAnnotations"]) {
    if (!isStringMap(payload[f])) errors.push(`${f}: must be an object of strings`);
  }
  if (!Array.isArray(payload.alerts)) {
    errors.push("alerts: must be an array");
    return errors;
  }
  payload.alerts.forEach((alert: unknown, i: number) => {
    const at = `alerts[${i}]`;
    if (!isObject(alert)) {
      errors.push(`${at}: must be an object`);
      return;
    }
    if (alert.status !== "firing" && alert.status !== "resolved") {
      errors.push(`${at}.status: must be "firing" or "resolved"`);
    }
    for (const f of ["labels", "annotations"]) {
      if (!isStringMap(alert[f])) errors.push(`${at}.${f}: must be an object of strings`);
    }
    for (const f of ["startsAt", "endsAt"]) {
      const v = alert[f];
      if (typeof v !== "string" || !RFC3339.test(v)) errors.push(`${at}.${f}: must be an RFC 3339 timestamp`);
    }
    for (const f of ["generatorURL", "fingerprint"]) {
      if (typeof alert[f] !== "string") errors.push(`${at}.${f}: must be a string`);
    }
    if (typeof alert.fingerprint === "string" && alert.fingerprint === "")
      errors.push(`${at}.fingerprint: must not be empty`);
  });
  return errors;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isStringMap(v: unknown): boolean {
  return isObject(v) && Object.values(v).every((x) => typeof x === "string");
}
