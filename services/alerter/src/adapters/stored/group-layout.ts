// How an aggregation group is stored (decision 33): one hash at `group:<gid>` holds what the group
// is, its members and its notification log, so a flush reads one key and writes one.
//
//   t tenant  r route key (absent: the root route's, "{}")  l group labels (JSON)  g 1 unless it is
//   the group of one alert (`group_by: ['...']`, the default route's); the group key is made from
//   these (groupKeyOf), or is in k when they do not make it
//   p traceparent of the last change (trace-context.ts)
//   c 1 once an alert of it was acknowledged (or unacknowledged), or it was formed by a reload:
//     only then does a flush read its alerts' acknowledgements
//   a next regular flush (ms)  f last regular flush (ms)
//   m:<fingerprint>  a member (empty value)
//   n:<receiver/type/index>  the notification log of one integration:
//                            [sequence, sentAt, acknowledged 0/1, firing fingerprints, resolved ones]
//                            (the resolved left out when there are none; a list that is the one
//                            alert of a group of one alert, whose key ends with it, is 0)
//
// A group that ends keeps only its `n:` fields, for 30 days (numbering and holds).
//
// Groups stored before (meta fields by their names in the hash, members in the set
// `group:<gid>:alerts`, the log in the hash `group:<gid>:nflog` as JSON objects) are read with
// those two keys and written in this layout at their next flush (groupStateFields).
import { groupId, groupKeyOf } from "../../domain/grouping.js";
import type { NotificationLogEntry } from "../../domain/notification-log.js";
import { fingerprintOfKey } from "./group-key-parts.js";
import { storedTraceparent, traceparentOfStored } from "./trace-context.js";

export const groupField = {
  groupKey: "k",
  routeKey: "r",
  tenant: "t",
  labels: "l",
  grouped: "g",
  readsAcks: "c",
  traceparent: "p",
  regularAt: "a",
  flushedAt: "f",
} as const;

/** The names the same fields had in a hash stored before decision 33. */
const legacyField: Record<Exclude<keyof typeof groupField, "grouped" | "readsAcks">, string> = {
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

/** The root route's key (routing/route.ts): the default configuration's route of alerts notified alone. */
const rootRouteKey = "{}";

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
  /** Its alerts may have acknowledgements (see groupField.readsAcks): a flush reads them. */
  readsAcks: boolean;
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

/**
 * A group of id `gid` from its hash and, when isLegacyGroup, its other two keys; newer fields win.
 */
export function decodeGroup(
  gid: string,
  hash: Record<string, string>,
  legacy?: LegacyGroupParts,
): StoredGroup {
  const field = (name: keyof typeof legacyField): string | undefined =>
    hash[groupField[name]] ?? hash[legacyField[name]];
  const members = new Set(legacy?.members ?? []);
  const entries: [string, string][] = Object.entries(legacy?.log ?? {});
  for (const [name, value] of Object.entries(hash)) {
    if (name.startsWith(memberPrefix)) members.add(name.slice(memberPrefix.length));
    else if (name.startsWith(logPrefix)) entries.push([name.slice(logPrefix.length), value]);
  }
  const labels = field("labels");
  const routeKey = field("routeKey") ?? (labels === undefined ? undefined : rootRouteKey);
  const tenant = field("tenant") ?? "";
  const groupLabels = labels === undefined ? {} : (JSON.parse(labels) as Record<string, string>);
  const groupKey =
    field("groupKey") ??
    (routeKey === undefined || labels === undefined
      ? undefined
      : madeGroupKey(gid, { tenant, routeKey, groupLabels }, hash[groupField.grouped] !== "1", [...members]));
  return {
    groupKey,
    routeKey,
    tenant,
    groupLabels,
    traceparent: traceOf(field("traceparent")),
    regularAt: Number(field("regularAt") ?? 0),
    flushedAt: Number(field("flushedAt") ?? 0),
    members: [...members],
    log: new Map(entries.map(([name, value]) => [name, decodeLogEntry(value, groupKey)])),
    // A group stored before decision 33 was never marked: its acknowledgements are always read.
    readsAcks: hash[groupField.readsAcks] === "1" || legacy !== undefined || isLegacyGroup(hash),
    legacy: legacy !== undefined || isLegacyGroup(hash),
  };
}

/** The group key its tenant, route key and labels make (with the member whose key is the gid's, if it is one alert's). */
function madeGroupKey(
  gid: string,
  group: { tenant: string; routeKey: string; groupLabels: Record<string, string> },
  alone: boolean,
  members: readonly string[],
): string | undefined {
  const route = { key: group.routeKey };
  if (!alone) return groupKeyOf(group.tenant, route, group.groupLabels, undefined);
  for (const member of members) {
    const groupKey = groupKeyOf(group.tenant, route, group.groupLabels, member);
    if (groupId(groupKey) === gid) return groupKey;
  }
  return undefined;
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
      ? groupMetaFields({ ...group, groupKey: group.groupKey, routeKey: group.routeKey }, state.members)
      : [groupField.tenant, group.tenant, groupField.labels, JSON.stringify(group.groupLabels)];
  if (group.traceparent !== undefined)
    fields.push(groupField.traceparent, storedTraceparent(group.traceparent));
  if (state.regularAt > 0) fields.push(groupField.regularAt, String(state.regularAt));
  if (state.flushedAt > 0) fields.push(groupField.flushedAt, String(state.flushedAt));
  if (group.readsAcks) fields.push(groupField.readsAcks, "1");
  for (const member of state.members) fields.push(memberField(member), "");
  for (const [name, entry] of state.log)
    fields.push(logEntryField(name), encodeLogEntry(entry, group.groupKey));
  return fields;
}

function traceOf(stored: string | undefined): string | undefined {
  return stored === undefined ? undefined : traceparentOfStored(stored);
}

/**
 * The fields that say what a group is: tenant, route key and labels, which make its group key with
 * `groupKeyOf` (and the one alert's fingerprint, among `members`, for a group of one alert); the
 * group key itself only when they do not make it.
 */
export function groupMetaFields(
  group: { groupKey: string; routeKey: string; tenant: string; groupLabels: Record<string, string> },
  members: readonly string[],
): string[] {
  const { groupKey, routeKey, tenant, groupLabels } = group;
  const fields = [
    groupField.tenant,
    tenant,
    ...(routeKey === rootRouteKey ? [] : [groupField.routeKey, routeKey]),
    groupField.labels,
    JSON.stringify(groupLabels),
  ];
  const route = { key: routeKey };
  if (members.some((member) => groupKeyOf(tenant, route, groupLabels, member) === groupKey)) return fields;
  if (groupKeyOf(tenant, route, groupLabels, undefined) === groupKey)
    return [...fields, groupField.grouped, "1"];
  return [...fields, groupField.groupKey, groupKey];
}

type Fingerprints = string[] | 0;
type CompactLogEntry = [
  sequence: number,
  sentAt: number,
  acknowledged: 0 | 1,
  firing: Fingerprints,
  resolved?: Fingerprints,
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
  // No resolved alerts (the usual): the list is left out.
  return JSON.stringify(entry.resolved.length === 0 ? compact.slice(0, 4) : compact);
}

/** A log entry in this layout, or as a JSON object (stored before decision 33). */
export function decodeLogEntry(raw: string, groupKey: string | undefined): NotificationLogEntry {
  const parsed = JSON.parse(raw) as CompactLogEntry | NotificationLogEntry;
  if (!Array.isArray(parsed)) return parsed;
  const [sequence, sentAt, acknowledged, firing, resolved = []] = parsed;
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
