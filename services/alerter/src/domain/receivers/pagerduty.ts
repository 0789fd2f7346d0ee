import { createHash } from "node:crypto";
import { type AlertRecord, kindName, Severity } from "../alert.js";
import { sampleEventIds } from "../episode.js";

/**
 * PagerDuty Events API v2 alert events (POST https://events.pagerduty.com/v2/enqueue).
 * Per the Events v2 docs: `routing_key` (the 32-character integration key) and `event_action`
 * (trigger | acknowledge | resolve) are always required; a trigger needs `payload.summary` (at most
 * 1024 characters), `payload.source` and `payload.severity` (critical | error | warning | info);
 * acknowledge and resolve need the `dedup_key` of the alert they act on (at most 255 characters);
 * the request body may be at most 512 KB.
 *
 * Choices: `dedup_key` is the alert's fingerprint, so trigger, acknowledge and resolve of one alert
 * always meet in one PagerDuty alert, on every replica and retry. Only a trigger carries `payload`
 * (as Alertmanager's PagerDuty notifier does); PagerDuty ignores it on acknowledge/resolve.
 */
export type PagerDutyAction = "trigger" | "acknowledge" | "resolve";
export type PagerDutySeverity = "critical" | "error" | "warning" | "info";

export interface PagerDutyPayload {
  summary: string;
  source: string;
  severity: PagerDutySeverity;
  timestamp: string;
  component: string;
  group: string;
  class: string;
  custom_details: Record<string, unknown>;
}

export interface PagerDutyEvent {
  routing_key: string;
  event_action: PagerDutyAction;
  dedup_key: string;
  client: string;
  client_url?: string;
  payload?: PagerDutyPayload;
}

export interface PagerDutyEventInput {
  routingKey: string;
  action: PagerDutyAction;
  /** Defaults to `pagerDutyDedupKey(alert)`; pass the same key for every action on one alert. */
  dedupKey?: string;
  alert: AlertRecord;
  /** `payload.source`: where the problem is, e.g. the model's serving endpoint or the tenant/model. */
  source: string;
  /** Backlink shown in PagerDuty (`client_url`). */
  clientUrl?: string;
}

export const PAGERDUTY_MAX_BODY_BYTES = 512 * 1024;
export const PAGERDUTY_MAX_SUMMARY_CHARS = 1024;
export const PAGERDUTY_MAX_DEDUP_KEY_CHARS = 255;
const ACTIONS: readonly string[] = ["trigger", "acknowledge", "resolve"];
const SEVERITIES: readonly string[] = ["critical", "error", "warning", "info"];

/** The alert's fingerprint (hashed only if it would exceed PagerDuty's 255-character limit). */
export function pagerDutyDedupKey(alert: Pick<AlertRecord, "fingerprint">): string {
  const fp = alert.fingerprint;
  if (fp.length <= PAGERDUTY_MAX_DEDUP_KEY_CHARS) return fp;
  return `sha256:${createHash("sha256").update(fp).digest("hex")}`;
}

/**
 * critical → critical, warning → warning, info → info. An unspecified/unknown severity maps to
 * "error": neither silently downgraded to info nor escalated to critical.
 */
export function pagerDutySeverity(severity: Severity): PagerDutySeverity {
  switch (severity) {
    case Severity.SEVERITY_CRITICAL:
      return "critical";
    case Severity.SEVERITY_WARNING:
      return "warning";
    case Severity.SEVERITY_INFO:
      return "info";
    default:
      return "error";
  }
}

export function pagerDutyEvent(input: PagerDutyEventInput): PagerDutyEvent {
  const { alert } = input;
  const event: PagerDutyEvent = {
    routing_key: input.routingKey,
    event_action: input.action,
    dedup_key: input.dedupKey ?? pagerDutyDedupKey(alert),
    client: "Argus",
    ...(input.clientUrl ? { client_url: input.clientUrl } : {}),
  };
  if (input.action !== "trigger") return event;

  const base = {
    fingerprint: alert.fingerprint,
    tenant: alert.tenant,
    model: alert.modelId,
    kind: kindName(alert.kind),
    state: alert.state,
    starts_at: alert.startsAt,
    ...(alert.labels.client ? { client: alert.labels.client } : {}),
    finding_count: alert.findingCount,
    last_finding_id: alert.lastFindingId,
    first_seen: alert.episode.firstSeenAt,
    last_seen: alert.episode.lastSeenAt,
    categories: alert.episode.categories,
    sample_event_ids: sampleEventIds(alert.episode),
  };
  // Shrinking steps, tried in order until the body fits: all details, no evidence, no labels either.
  const attempts: Record<string, unknown>[] = [
    { ...base, labels: alert.labels, evidence: alert.evidence },
    {
      ...base,
      labels: alert.labels,
      truncated: "evidence dropped: the event exceeded PagerDuty's 512 KB limit",
    },
    { ...base, truncated: "evidence and labels dropped: the event exceeded PagerDuty's 512 KB limit" },
  ];
  for (const custom_details of attempts) {
    const candidate = { ...event, payload: payloadFor(input, custom_details) };
    if (pagerDutyBodyBytes(candidate) <= PAGERDUTY_MAX_BODY_BYTES) return candidate;
  }
  // Only the summary (capped) and the caller's own strings remain; the validator reports an oversize body.
  return {
    ...event,
    payload: payloadFor(input, { truncated: "details dropped: the event exceeded PagerDuty's 512 KB limit" }),
  };
}

function payloadFor(input: PagerDutyEventInput, custom_details: Record<string, unknown>): PagerDutyPayload {
  const { alert } = input;
  const summary = alert.summary.trim() || `${kindName(alert.kind)} on ${alert.modelId} (${alert.tenant})`;
  return {
    summary: capChars(summary, PAGERDUTY_MAX_SUMMARY_CHARS),
    source: input.source,
    severity: pagerDutySeverity(alert.severity),
    // When the emitting tool last observed the condition.
    timestamp: alert.updatedAt,
    component: alert.modelId,
    group: alert.tenant,
    class: kindName(alert.kind),
    custom_details,
  };
}

/** Size of the event as sent: UTF-8 bytes of its JSON. */
export function pagerDutyBodyBytes(event: unknown): number {
  return Buffer.byteLength(JSON.stringify(event), "utf8");
}

/** At most `max` characters (code points, never splitting a surrogate pair), "…" marking a cut. */
function capChars(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join("")}…`;
}

/** Problems with an event against the Events v2 required fields; an empty list means valid. */
export function validatePagerDutyEvent(event: unknown): string[] {
  if (!isObject(event)) return ["event: must be an object"];
  const errors: string[] = [];
  if (typeof event.routing_key !== "string" || event.routing_key.length !== 32) {
    errors.push("routing_key: must be the 32-character integration key");
  }
  if (typeof event.event_action !== "string" || !ACTIONS.includes(event.event_action)) {
    errors.push(`event_action: must be one of ${ACTIONS.join(", ")}`);
  }
  const dedup = event.dedup_key;
  if (dedup !== undefined && (typeof dedup !== "string" || dedup.length > PAGERDUTY_MAX_DEDUP_KEY_CHARS)) {
    errors.push(`dedup_key: must be a string of at most ${PAGERDUTY_MAX_DEDUP_KEY_CHARS} characters`);
  }
  if ((event.event_action === "acknowledge" || event.event_action === "resolve") && !dedup) {
    errors.push(`dedup_key: required for ${event.event_action}`);
  }
  if (event.event_action === "trigger") {
    const p = event.payload;
    if (!isObject(p)) {
      errors.push("payload: required for trigger");
    } else {
      if (typeof p.summary !== "string" || p.summary === "") errors.push("payload.summary: required");
      else if (Array.from(p.summary).length > PAGERDUTY_MAX_SUMMARY_CHARS) {
        errors.push(`payload.summary: at most ${PAGERDUTY_MAX_SUMMARY_CHARS} characters`);
      }
      if (typeof p.source !== "string" || p.source === "") errors.push("payload.source: required");
      if (typeof p.severity !== "string" || !SEVERITIES.includes(p.severity)) {
        errors.push(`payload.severity: must be one of ${SEVERITIES.join(", ")}`);
      }
      if (
        p.timestamp !== undefined &&
        (typeof p.timestamp !== "string" || Number.isNaN(Date.parse(p.timestamp)))
      ) {
        errors.push("payload.timestamp: must be an ISO 8601 timestamp");
      }
      for (const f of ["component", "group", "class"]) {
        if (p[f] !== undefined && typeof p[f] !== "string") errors.push(`payload.${f}: must be a string`);
      }
      if (p.custom_details !== undefined && !isObject(p.custom_details)) {
        errors.push("payload.custom_details: must be an object");
      }
    }
  }
  if (pagerDutyBodyBytes(event) > PAGERDUTY_MAX_BODY_BYTES) {
    errors.push(`body: exceeds ${PAGERDUTY_MAX_BODY_BYTES} bytes`);
  }
  return errors;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
