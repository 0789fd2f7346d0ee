// How an outbox item is stored at `outbox:item:<id>` (decision 33): its metadata as one JSON array
// (the id is the key's, the group id and queue derive from the group key), a line break, then the
// body, packed (body-packing.ts) and sealed with the key as context.
//
//   [2, groupKey, tenant, receiver, integration, integrationType, sequence, reason, fingerprints,
//    createdAt (ms), attempts, traceparent (trace-context.ts) or "", extra?]
//   "\n", then "~" and the sealed packed body (sealed-text.ts), or "=" and the body (sealing off)
//
// The group key is [route key, 1 when the group is one alert's] when the body's group labels make it
// with the tenant (groupKeyOf); then reading it opens the body. Otherwise the tenant is 0 when the
// group key starts with it, the fingerprints 0 when they are the one alert of a `group_by: ['...']`
// group whose key ends with it. The integration type and reason are their index in the lists below.
// `extra` holds what most items do not have: e last error, d dead at (ms), w why dead, y replays,
// and q queue and g group id when they are not those the group key gives. JSON text never holds a
// raw line break, so the first one ends the metadata.
//
// Items stored before (a JSON object, the body packed with table 1 in `sealedBody`, or in `sealed`,
// or in the clear) are read as they were.
import { type EvidenceSealer, openFields } from "@argus/runtime";
import { groupId, groupKeyOf } from "../../domain/grouping.js";
import { type Notification, queueId } from "../../domain/notification.js";
import { groupLabelsOfBody, packBody, unpackBody } from "../body-packing.js";
import { fingerprintOfKey, tenantOfKey } from "./group-key-parts.js";
import { sealedOfText, sealedToText } from "./sealed-text.js";
import { storedTime, timeOfStored } from "./stored-time.js";
import { storedTraceparent, traceparentOfStored } from "./trace-context.js";

/** Only add to these lists: stored items name their entries by index. */
const integrationTypes: Notification["integrationType"][] = ["webhook", "pagerduty", "slack"];
const reasons: Notification["reason"][] = [
  "new",
  "firing-changed",
  "all-resolved",
  "resolved-changed",
  "repeat",
  "acknowledged",
  "unacknowledged",
  "test",
];

type Time = number | string;

interface Extra {
  e?: string;
  d?: Time;
  w?: string;
  y?: number;
  q?: string;
  g?: string;
}

/** A group key made from the body's group labels: the route key, and whether it is one alert's group. */
type MadeGroupKey = [routeKey: string, alone: 0 | 1];

type CompactItem = [
  version: 2,
  groupKey: string | MadeGroupKey,
  tenant: string | 0,
  receiver: string,
  integration: number,
  integrationType: number | Notification["integrationType"],
  sequence: number,
  reason: number | Notification["reason"],
  fingerprints: string[] | 0,
  createdAt: Time,
  attempts: number,
  traceparent: string,
  extra?: Extra,
];

/** An item without its body: what lists and erasure read. */
export type NotificationMetadata = Omit<Notification, "body">;

export function encodeNotification(sealer: EvidenceSealer, key: string, notification: Notification): string {
  const { groupKey, tenant, fingerprints } = notification;
  const gid = groupId(groupKey);
  const made = madeGroupKey(notification);
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
    made ?? groupKey,
    made === undefined && tenant === tenantOfKey(groupKey) ? 0 : tenant,
    notification.receiver,
    notification.integration,
    codeOf(integrationTypes, notification.integrationType),
    notification.sequence,
    codeOf(reasons, notification.reason),
    made === undefined && isLoneFingerprint(fingerprints, groupKey) ? 0 : fingerprints,
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
  const stored = JSON.parse(raw.slice(0, end)) as CompactItem;
  const text = raw.slice(end + 2);
  let body: string;
  if (raw[end + 1] === "=") body = text;
  else {
    const made = stored[1];
    const groupKey =
      typeof made === "string"
        ? made
        : (labels: Record<string, string>) => groupKeyOfMade(made, stored[2], stored[8], labels);
    body = unpackBody(sealer.open(sealedOfText(text), key), { groupKey });
  }
  const groupKey =
    typeof stored[1] === "string"
      ? stored[1]
      : groupKeyOfMade(stored[1], stored[2], stored[8], groupLabelsOfBody(body) ?? {});
  return { ...metadataOf(id, stored, groupKey), body };
}

/** The item stored as `raw`, without its body (opened only when the group key is made from it). */
export function decodeNotificationMetadata(
  sealer: EvidenceSealer,
  key: string,
  id: string,
  raw: string,
): NotificationMetadata {
  const end = raw.indexOf("\n");
  if (!raw.startsWith("[") || end < 0) {
    const { body: _body, sealed: _sealed, sealedBody: _sealedBody, ...metadata } = JSON.parse(raw);
    return metadata as NotificationMetadata;
  }
  const stored = JSON.parse(raw.slice(0, end)) as CompactItem;
  if (typeof stored[1] === "string") return metadataOf(id, stored, stored[1]);
  const { body: _body, ...metadata } = decodeNotification(sealer, key, id, raw);
  return metadata;
}

function metadataOf(id: string, stored: CompactItem, groupKey: string): NotificationMetadata {
  const [, , tenant, receiver, integration, integrationType, sequence, reason] = stored;
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
    integrationType: entryOf(integrationTypes, integrationType),
    sequence,
    reason: entryOf(reasons, reason),
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

/**
 * The route key (and whether it is one alert's group) from which the body's group labels, with the
 * tenant and the fingerprint, make the group key exactly; undefined when they do not.
 */
function madeGroupKey(notification: Notification): MadeGroupKey | undefined {
  const { groupKey, tenant, fingerprints } = notification;
  const labels = groupLabelsOfBody(notification.body);
  if (!labels) return undefined;
  const alone = isLoneFingerprint(fingerprints, groupKey) ? 1 : 0;
  // groupKeyOf with an empty route key: what follows the route key in the group key.
  const prefix = `${encodeURIComponent(tenant)}/`;
  const suffix = groupKeyOfMade(["", alone], tenant, fingerprints, labels).slice(prefix.length);
  if (!groupKey.startsWith(prefix) || !groupKey.endsWith(suffix)) return undefined;
  if (groupKey.length < prefix.length + suffix.length) return undefined;
  const made: MadeGroupKey = [groupKey.slice(prefix.length, groupKey.length - suffix.length), alone];
  return groupKeyOfMade(made, tenant, fingerprints, labels) === groupKey ? made : undefined;
}

function groupKeyOfMade(
  [routeKey, alone]: MadeGroupKey,
  tenant: string | 0,
  fingerprints: string[] | 0,
  labels: Record<string, string>,
): string {
  const lone = alone === 1 && Array.isArray(fingerprints) ? fingerprints[0] : undefined;
  return groupKeyOf(typeof tenant === "string" ? tenant : "", { key: routeKey }, labels, lone);
}

function isLoneFingerprint(fingerprints: readonly string[], groupKey: string): boolean {
  return fingerprints.length === 1 && fingerprints[0] === fingerprintOfKey(groupKey);
}

function codeOf<T>(list: readonly T[], value: T): number | T {
  const index = list.indexOf(value);
  return index < 0 ? value : index;
}

function entryOf<T>(list: readonly T[], stored: number | T): T {
  return typeof stored === "number" ? (list[stored] as T) : stored;
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
  return { ...(metadata as unknown as Notification), body };
}
