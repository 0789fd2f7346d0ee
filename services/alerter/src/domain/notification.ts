import { createHash } from "node:crypto";
import type { NotifyReason } from "./notification-log.js";
import type { Integration } from "./routing/config.js";

/** A notification of one group to one receiver integration, waiting in (or moving through) the outbox. */
export interface Notification {
  /**
   * Stable across retries, restarts, replicas and replays: sent as `webhook-id` so receivers can
   * dedupe. Derived from the group key, receiver, integration and the group's notification number.
   */
  id: string;
  /** Delivery queue: one per group and integration; its notifications are sent in `sequence` order. */
  queue: string;
  groupKey: string;
  gid: string;
  tenant: string;
  receiver: string;
  /** Index of the integration within the receiver (its `webhook_configs` etc. flattened in order). */
  integration: number;
  integrationType: Integration["type"];
  sequence: number;
  reason: NotifyReason | "test";
  /** The alerts this notification speaks of, for their history. */
  fingerprints: string[];
  createdAt: string;
  /** The JSON body, serialized once so every attempt signs and sends identical bytes. */
  body: string;
  /** W3C trace context of the span that decided to notify; continued by the delivery span. */
  traceparent?: string;
  attempts: number;
  lastError?: string;
  /** Set when it was dead-lettered (then `deadReason` says why) or replayed. */
  deadAt?: string;
  deadReason?: string;
  replays?: number;
}

/**
 * `msg_` and 16 characters (96 bits) of a digest of what makes the notification. Ids made before
 * decision 33 had 32 characters: a group whose numbering started again then (its log was not
 * carried over) never repeats one of them.
 */
export function notificationId(
  groupKey: string,
  receiver: string,
  integration: number,
  sequence: number,
): string {
  const digest = createHash("sha256").update(
    `${groupKey}|${encodeURIComponent(receiver)}|${integration}|${sequence}`,
  );
  return `msg_${digest.digest("base64url").slice(0, 16)}`;
}

/**
 * 16 characters (96 bits) of a digest of the group, receiver and integration: a queue's key is named
 * in three commands of every notification. Queues made before decision 33 were named
 * `<gid>.<receiver digest>.<integration>`; their items keep the name they were stored with.
 */
export function queueId(gid: string, receiver: string, integration: number): string {
  return createHash("sha256")
    .update(`${gid}|${encodeURIComponent(receiver)}|${integration}`)
    .digest("base64url")
    .slice(0, 16);
}

/** How an integration is named in dead letters and test results: `receiver/type[index]`. */
export function integrationName(
  receiver: string,
  integration: Pick<Integration, "type">,
  index: number,
): string {
  return `${receiver}/${integration.type}[${index}]`;
}
