import { createHash } from "node:crypto";
import { type AlertRecord, type AlertTransition, kindName, severityName } from "./alert.js";

/** A webhook notification waiting in (or moving through) the outbox. */
export interface Notification {
  /** Stable across retries, restarts and replicas: sent as `webhook-id` so receivers can dedupe. */
  id: string;
  fingerprint: string;
  sequence: number;
  type: `alert.${AlertTransition}`;
  createdAt: string;
  /** The JSON body, serialized once so every attempt signs and sends identical bytes. */
  body: string;
  /** W3C trace context of the span that decided to notify; continued by the delivery span. */
  traceparent?: string;
  attempts: number;
  lastError?: string;
}

/** `webhook-id` for the n-th notification of an alert: derived, so a replay can never mint a new id. */
export function notificationId(fingerprint: string, sequence: number): string {
  return `msg_${createHash("sha256").update(`${fingerprint}|${sequence}`).digest("base64url").slice(0, 32)}`;
}

export function buildNotification(
  alert: AlertRecord,
  transition: AlertTransition,
  now: Date,
  traceparent: string | undefined,
): Notification {
  const type = `alert.${transition}` as const;
  const id = notificationId(alert.fingerprint, alert.notificationSeq);
  const body = JSON.stringify({
    type,
    timestamp: now.toISOString(),
    data: {
      fingerprint: alert.fingerprint,
      status: alert.state,
      kind: kindName(alert.kind),
      severity: severityName(alert.severity),
      model: alert.modelId,
      tenant: alert.tenant,
      summary: alert.summary,
      labels: alert.labels,
      evidence: alert.evidence,
      startsAt: alert.startsAt,
      endsAt: alert.endsAt ?? null,
      findingCount: alert.findingCount,
      lastFindingId: alert.lastFindingId,
    },
  });
  return {
    id,
    fingerprint: alert.fingerprint,
    sequence: alert.notificationSeq,
    type,
    createdAt: now.toISOString(),
    body,
    ...(traceparent ? { traceparent } : {}),
    attempts: 0,
  };
}
