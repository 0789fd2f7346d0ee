// How an outbox item is stored at `outbox:item:<id>` (decision 33): its metadata as one JSON array
// (the id is the key's, the group id and queue derive from the group key), a line break, then the
// body, packed (body-packing.ts) and sealed with the key as context.
//
//   [2, groupKey, tenant, receiver, integration, integrationType, sequence, reason, fingerprints,
//    createdAt (ms), attempts, traceparent (trace-context.ts) or "", extra?]
//   "\n", then "~" and the sealed packed body (sealed-text.ts), or "=" and the body (sealing off)
//
// The tenant is 0 when the group key starts with it, the fingerprints 0 when they are the one alert
// of a `group_by: ['...']` group whose key ends with it. `extra` holds what most items do not have:
// e last error, d dead at (ms), w why dead, y replays, and q queue and g group id when they are not
// those the group key gives. JSON text never holds a raw line break, so the first one ends it.
//
// Items stored before (a JSON object, the body packed with table 1 in `sealedBody`, or in `sealed`,
// or in the clear) are read as they were.
import { type EvidenceSealer, openFields } from "@argus/runtime";
import { groupId } from "../../domain/grouping.js";
import { type Notification, queueId } from "../../domain/notification.js";
import { packBody, unpackBody } from "../body-packing.js";
import { fingerprintOfKey, tenantOfKey } from "./group-key-parts.js";
import { sealedOfText, sealedToText } from "./sealed-text.js";
import { storedTime, timeOfStored } from "./stored-time.js";
import { storedTraceparent, traceparentOfStored } from "./trace-context.js";

type Time = number | string;

interface Extra {
  e?: string;
  d?: Time;
  w?: string;
  y?: number;
  q?: string;
  g?: string;
}

type CompactItem = [
  version: 2,
  groupKey: string,
  tenant: string | 0,
  receiver: string,
  integration: number,
  integrationType: Notification["integrationType"],
  sequence: number,
  reason: Notification["reason"],
  fingerprints: string[] | 0,
  createdAt: Time,
  attempts: number,
  traceparent: string,
  extra?: Extra,
];

/** An item without its body: what lists and erasure read (nothing is opened). */
export type NotificationMetadata = Omit<Notification, "body">;

export function encodeNotification(sealer: EvidenceSealer, key: string, notification: Notification): string {
  const { groupKey } = notification;
  const gid = groupId(groupKey);
  const extra: Extra = {
    ...(notification.lastError === undefined ? {} : { e: notification.lastError }),
    ...(notification.deadAt === undefined ? {} : { d: storedTime(notification.deadAt) }),
    ...(notification.deadReason === undefined ? {} : { w: notification.deadReason }),
    ...(notification.replays === undefined ? {} : { y: notification.replays }),
    ...(notification.gid === gid ? {} : { g: notification.gid }),
    ...(notification.queue === queueId(notification.gid, notification.receiver, notification.integration)
      ? {}
      : { q: notification.queue }),
  };
  const body = sealer.sealing
    ? `~${sealedToText(sealer.seal(packBody(notification.body, { groupKey }), key))}`
    : `=${notification.body}`;
  const stored: CompactItem = [
    2,
    groupKey,
    notification.tenant === tenantOfKey(groupKey) ? 0 : notification.tenant,
    notification.receiver,
    notification.integration,
    notification.integrationType,
    notification.sequence,
    notification.reason,
    isLoneFingerprint(notification.fingerprints, groupKey) ? 0 : notification.fingerprints,
    storedTime(notification.createdAt),
    notification.attempts,
    storedTraceparent(notification.traceparent ?? ""),
  ];
  if (Object.keys(extra).length > 0) stored.push(extra);
  return `${JSON.stringify(stored)}\n${body}`;
}

/** The item stored as `raw` at `key`, its body opened; throws when the body does not open for `key`. */
export function decodeNotification(
  sealer: EvidenceSealer,
  key: string,
  id: string,
  raw: string,
): Notification {
  const end = raw.indexOf("\n");
  if (!raw.startsWith("[") || end < 0) return legacyNotification(sealer, key, JSON.parse(raw));
  const metadata = metadataOf(id, JSON.parse(raw.slice(0, end)) as CompactItem);
  const stored = raw.slice(end + 2);
  const body =
    raw[end + 1] === "="
      ? stored
      : unpackBody(sealer.open(sealedOfText(stored), key), { groupKey: metadata.groupKey });
  return { ...metadata, body };
}

/** The item stored as `raw`, without its body. */
export function decodeNotificationMetadata(id: string, raw: string): NotificationMetadata {
  const end = raw.indexOf("\n");
  if (raw.startsWith("[") && end >= 0) return metadataOf(id, JSON.parse(raw.slice(0, end)) as CompactItem);
  const { body: _body, sealed: _sealed, sealedBody: _sealedBody, ...metadata } = JSON.parse(raw);
  return metadata as NotificationMetadata;
}

function metadataOf(id: string, stored: CompactItem): NotificationMetadata {
  const [, groupKey, tenant, receiver, integration, integrationType, sequence, reason] = stored;
  const [fingerprints, createdAt, attempts, traceparent, extra = {}] = stored.slice(8) as [
    string[] | 0,
    Time,
    number,
    string,
    Extra?,
  ];
  const gid = extra.g ?? groupId(groupKey);
  return {
    id,
    queue: extra.q ?? queueId(gid, receiver, integration),
    groupKey,
    gid,
    tenant: tenant === 0 ? tenantOfKey(groupKey) : tenant,
    receiver,
    integration,
    integrationType,
    sequence,
    reason,
    fingerprints: fingerprints === 0 ? [fingerprintOfKey(groupKey) ?? ""] : fingerprints,
    createdAt: timeOfStored(createdAt),
    ...(traceparent === "" ? {} : { traceparent: traceparentOfStored(traceparent) }),
    attempts,
    ...(extra.e === undefined ? {} : { lastError: extra.e }),
    ...(extra.d === undefined ? {} : { deadAt: timeOfStored(extra.d) }),
    ...(extra.w === undefined ? {} : { deadReason: extra.w }),
    ...(extra.y === undefined ? {} : { replays: extra.y }),
  };
}

function isLoneFingerprint(fingerprints: readonly string[], groupKey: string): boolean {
  return fingerprints.length === 1 && fingerprints[0] === fingerprintOfKey(groupKey);
}

/** An item stored before decision 33: a JSON object, its body in `sealedBody`, `sealed` or the clear. */
function legacyNotification(
  sealer: EvidenceSealer,
  key: string,
  stored: Record<string, unknown>,
): Notification {
  const { sealedBody, ...metadata } = stored;
  if (typeof sealedBody !== "string") return openFields<Notification>(sealer, key, stored);
  const body = unpackBody(sealer.open(sealedBody, key), { groupKey: String(metadata.groupKey ?? "") });
  return { ...(metadata as unknown as NotificationMetadata), body };
}
