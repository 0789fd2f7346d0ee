// How an aggregation group is stored (decision 33): one hash at `group:<gid>` holds what the group
// is, its members and its notification log, so a flush reads one key and writes one.
//
//   k group key  r route key  p traceparent of the last change (trace-context.ts)
//   t tenant, only when the group key does not start with it
//   l group labels (JSON), only when the group key does not name them; o their order when it does
//     (the indexes of the names in name order, comma-separated; empty for name order)
//   a next regular flush (ms)  f last regular flush (ms)
//   m:<fingerprint>  a member (empty value)
//   n:<receiver/type/index>  the notification log of one integration:
//                            [sequence, sentAt, acknowledged 0/1, firing fingerprints, resolved ones]
//                            (a list that is the one alert of a `group_by: ['...']` group, whose key
//                            ends with it, is 0)
//
// A group that ends keeps only its `n:` fields, for 30 days (numbering and holds).
//
// Groups stored before (meta fields by their names in the hash, members in the set
// `group:<gid>:alerts`, the log in the hash `group:<gid>:nflog` as JSON objects) are read with
// those two keys and written in this layout at their next flush (groupStateFields).
import type { NotificationLogEntry } from "../../domain/notification-log.js";
import { groupLabelsOfKey } from "../../domain/routing/route.js";
import { fingerprintOfKey, tenantOfKey } from "./group-key-parts.js";
import { storedTraceparent, traceparentOfStored } from "./trace-context.js";

export const groupField = {
  groupKey: "k",
  routeKey: "r",
  tenant: "t",
  labels: "l",
  labelOrder: "o",
  traceparent: "p",
  regularAt: "a",
  flushedAt: "f",
} as const;

/** The names the same fields had in a hash stored before decision 33. */
const legacyField: Record<Exclude<keyof typeof groupField, "labelOrder">, string> = {
  groupKey: "groupKey",
  routeKey: "routeKey",
  tenant: "tenant",
  labels: "labels",
  traceparent: "traceparent",
  regularAt: "regularAt",
  flushedAt: "flushedAt",
};

/** Every field name of a hash stored before decision 33 (`receiver` is no longer kept). */
export const legacyGroupFields = [...Object.values(legacyField), "receiver"];

const memberPrefix = "m:";
const logPrefix = "n:";

export const memberField = (fingerprint: string): string => `${memberPrefix}${fingerprint}`;
export const logEntryField = (field: string): string => `${logPrefix}${field}`;

/** A group as read from its hash (and, for a group stored before decision 33, its two other keys). */
export interface StoredGroup {
  /** Absent when the group is gone (it ended: at most its log is left). */
  groupKey: string | undefined;
  routeKey: string | undefined;
  tenant: string;
  groupLabels: Record<string, string>;
  traceparent: string | undefined;
  regularAt: number;
  flushedAt: number;
  members: string[];
  log: Map<string, NotificationLogEntry>;
  /** Stored before decision 33: its next write moves it into this layout (groupStateFields). */
  legacy: boolean;
}

/** What a hash stored before decision 33 keeps in its other keys: members, and the log by field. */
export interface LegacyGroupParts {
  members: string[];
  log: Record<string, string>;
}

/** Whether the group's hash was written before decision 33 (its members and log are elsewhere). */
export function isLegacyGroup(hash: Record<string, string>): boolean {
  return legacyGroupFields.some((field) => field in hash);
}

/** A group from its hash and, when isLegacyGroup, its other two keys; newer fields win. */
export function decodeGroup(hash: Record<string, string>, legacy?: LegacyGroupParts): StoredGroup {
  const field = (name: keyof typeof legacyField): string | undefined =>
    hash[groupField[name]] ?? hash[legacyField[name]];
  const members = new Set(legacy?.members ?? []);
  const log = new Map<string, NotificationLogEntry>();
  const keyOf = field("groupKey");
  for (const [name, value] of Object.entries(legacy?.log ?? {})) log.set(name, decodeLogEntry(value, keyOf));
  for (const [name, value] of Object.entries(hash)) {
    if (name.startsWith(memberPrefix)) members.add(name.slice(memberPrefix.length));
    else if (name.startsWith(logPrefix)) log.set(name.slice(logPrefix.length), decodeLogEntry(value, keyOf));
  }
  const groupKey = field("groupKey");
  const routeKey = field("routeKey");
  const tenant = field("tenant") ?? (groupKey === undefined ? "" : tenantOfKey(groupKey));
  const labels = field("labels");
  return {
    groupKey,
    routeKey,
    tenant,
    groupLabels:
      labels !== undefined
        ? (JSON.parse(labels) as Record<string, string>)
        : groupKey !== undefined && routeKey !== undefined
          ? (labelsOfKey(groupKey, tenant, routeKey, hash[groupField.labelOrder]) ?? {})
          : {},
    traceparent: traceOf(field("traceparent")),
    regularAt: Number(field("regularAt") ?? 0),
    flushedAt: Number(field("flushedAt") ?? 0),
    members: [...members],
    log,
    legacy: legacy !== undefined || isLegacyGroup(hash),
  };
}

/**
 * The fields and values of the whole state of a group in this layout: what a group stored before
 * decision 33 is written as (with its old fields and keys deleted).
 */
export function groupStateFields(state: {
  group: StoredGroup;
  members: readonly string[];
  log: ReadonlyMap<string, NotificationLogEntry>;
  regularAt: number;
  flushedAt: number;
}): string[] {
  const { group } = state;
  const fields: string[] =
    group.groupKey !== undefined && group.routeKey !== undefined
      ? groupMetaFields({ ...group, groupKey: group.groupKey, routeKey: group.routeKey })
      : [groupField.tenant, group.tenant, groupField.labels, JSON.stringify(group.groupLabels)];
  if (group.traceparent !== undefined)
    fields.push(groupField.traceparent, storedTraceparent(group.traceparent));
  if (state.regularAt > 0) fields.push(groupField.regularAt, String(state.regularAt));
  if (state.flushedAt > 0) fields.push(groupField.flushedAt, String(state.flushedAt));
  for (const member of state.members) fields.push(memberField(member), "");
  for (const [name, entry] of state.log)
    fields.push(logEntryField(name), encodeLogEntry(entry, group.groupKey));
  return fields;
}

function traceOf(stored: string | undefined): string | undefined {
  return stored === undefined ? undefined : traceparentOfStored(stored);
}

/**
 * The fields that say what a group is: its group key and route key, and its tenant and labels only
 * where the group key does not say them (it starts with the tenant and names the labels).
 */
export function groupMetaFields(group: {
  groupKey: string;
  routeKey: string;
  tenant: string;
  groupLabels: Record<string, string>;
}): string[] {
  const { groupKey, routeKey, tenant, groupLabels } = group;
  const fields = [groupField.groupKey, groupKey, groupField.routeKey, routeKey];
  if (tenantOfKey(groupKey) !== tenant) fields.push(groupField.tenant, tenant);
  const named = labelsOfKey(groupKey, tenant, routeKey, undefined);
  const text = JSON.stringify(groupLabels);
  if (named === undefined || Object.keys(named).length !== Object.keys(groupLabels).length) {
    return [...fields, groupField.labels, text];
  }
  const sorted = Object.keys(named);
  const order = Object.keys(groupLabels).map((name) => sorted.indexOf(name));
  // Always written: another alert's join may have left an order other than this one's.
  const orderText = order.every((position, index) => position === index) ? "" : order.join(",");
  if (JSON.stringify(labelsOfKey(groupKey, tenant, routeKey, orderText)) !== text) {
    return [...fields, groupField.labels, text];
  }
  return [...fields, groupField.labelOrder, orderText];
}

/** The labels a group key names, in the order `order` gives (name order when absent). */
function labelsOfKey(
  groupKey: string,
  tenant: string,
  routeKey: string,
  order: string | undefined,
): Record<string, string> | undefined {
  const named = groupLabelsOfKey(groupKey, `${encodeURIComponent(tenant)}/${routeKey}`);
  if (named === undefined || order === undefined || order === "") return named;
  const entries = Object.entries(named);
  return Object.fromEntries(order.split(",").map((position) => entries[Number(position)] ?? ["", ""]));
}

type Fingerprints = string[] | 0;
type CompactLogEntry = [
  sequence: number,
  sentAt: number,
  acknowledged: 0 | 1,
  firing: Fingerprints,
  resolved: Fingerprints,
];

/** A log entry in this layout; `groupKey` is the key of its group (undefined: not known). */
export function encodeLogEntry(entry: NotificationLogEntry, groupKey: string | undefined): string {
  const lone = groupKey === undefined ? undefined : fingerprintOfKey(groupKey);
  const fingerprints = (list: string[]): Fingerprints =>
    lone !== undefined && list.length === 1 && list[0] === lone ? 0 : list;
  const compact: CompactLogEntry = [
    entry.sequence,
    entry.sentAt,
    entry.acknowledged ? 1 : 0,
    fingerprints(entry.firing),
    fingerprints(entry.resolved),
  ];
  return JSON.stringify(compact);
}

/** A log entry in this layout, or as a JSON object (stored before decision 33). */
export function decodeLogEntry(raw: string, groupKey: string | undefined): NotificationLogEntry {
  const parsed = JSON.parse(raw) as CompactLogEntry | NotificationLogEntry;
  if (!Array.isArray(parsed)) return parsed;
  const [sequence, sentAt, acknowledged, firing, resolved] = parsed;
  const lone = groupKey === undefined ? "" : (fingerprintOfKey(groupKey) ?? "");
  const fingerprints = (list: Fingerprints) => (list === 0 ? [lone] : list);
  return {
    sequence,
    sentAt,
    acknowledged: acknowledged === 1,
    firing: fingerprints(firing),
    resolved: fingerprints(resolved),
  };
}
