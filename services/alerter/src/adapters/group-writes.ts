import type { GuardedCommand, Redis } from "@argus/runtime";
import type { FlushPlan } from "../domain/flush/plan-flush.js";
import type { NotificationLogEntry } from "../domain/notification-log.js";
import type { AlertStore } from "./alert-store.js";
import { enqueueCommands } from "./outbox-commands.js";
import { throwFirstError } from "./pipeline-replies.js";
import {
  encodeLogEntry,
  groupField,
  groupStateFields,
  type LegacyGroupParts,
  legacyGroupFields,
  logEntryField,
  memberField,
  type StoredGroup,
} from "./stored/group-layout.js";

/**
 * The members and log of groups stored before decision 33 (isLegacyGroup), from their own keys:
 * one round trip for all of them.
 */
export async function readLegacyParts(
  redis: Redis,
  store: AlertStore,
  gids: readonly string[],
): Promise<Map<string, LegacyGroupParts>> {
  const parts = new Map<string, LegacyGroupParts>();
  if (gids.length === 0) return parts;
  const pipeline = redis.pipeline();
  for (const gid of gids) {
    pipeline.smembers(store.legacyGroupAlertsKey(gid));
    pipeline.hgetall(store.legacyNotificationLogKey(gid));
  }
  const replies = (await pipeline.exec()) ?? [];
  throwFirstError(replies);
  gids.forEach((gid, index) => {
    parts.set(gid, {
      members: replies[index * 2]?.[1] as string[],
      log: replies[index * 2 + 1]?.[1] as Record<string, string>,
    });
  });
  return parts;
}

/**
 * A flush plan as Redis writes: the outbox items, the log, and the group's next timer or its end.
 * A group stored before decision 33 is written whole in the current layout and its old keys go.
 */
export function flushWrites(
  store: AlertStore,
  gid: string,
  group: StoredGroup,
  plan: FlushPlan,
  context: { now: number; traceparent: string | undefined },
): GuardedCommand[] {
  const { traceparent } = context;
  const commands: GuardedCommand[] = plan.notifications.flatMap((notification) =>
    enqueueCommands(store, traceparent ? { ...notification, traceparent } : notification, context.now),
  );
  const { next } = plan;
  if (next.type === "end") return [...commands, ...store.endGroupCommands(gid, next.log, group.legacy)];
  const key = store.groupKey(gid);
  const regularAt = next.type === "held" ? next.until : next.type === "regular" ? next.at : group.regularAt;
  const flushedAt = next.type === "regular" ? context.now : group.flushedAt;
  if (group.legacy) {
    const leaving = new Set(plan.leaving);
    const members = group.members.filter((member) => !leaving.has(member));
    const log = new Map([...group.log, ...plan.logUpdates]);
    commands.push(...migrationWrites(store, gid, { group, members, log, regularAt, flushedAt }));
  } else {
    if (plan.leaving.length > 0) commands.push(["HDEL", key, ...plan.leaving.map(memberField)]);
    const fields = logFields(plan.logUpdates, group.groupKey);
    if (regularAt !== group.regularAt) fields.push(groupField.regularAt, String(regularAt));
    if (flushedAt !== group.flushedAt) fields.push(groupField.flushedAt, String(flushedAt));
    if (fields.length > 0) commands.push(["HSET", key, ...fields]);
  }
  commands.push(["ZADD", store.groupsDueKey, next.type === "held" ? next.until : next.at, gid]);
  return commands;
}

/**
 * Erased alerts leave a group that goes on: they leave its members and the log entries that named
 * them are rewritten (a group stored before decision 33 is written whole in the current layout).
 */
export function scrubWrites(
  store: AlertStore,
  gid: string,
  group: StoredGroup,
  change: { leaving: readonly string[]; changed: ReadonlyMap<string, NotificationLogEntry> },
): GuardedCommand[] {
  if (group.legacy) {
    const leaving = new Set(change.leaving);
    return migrationWrites(store, gid, {
      group,
      members: group.members.filter((member) => !leaving.has(member)),
      log: new Map([...group.log, ...change.changed]),
      regularAt: group.regularAt,
      flushedAt: group.flushedAt,
    });
  }
  const key = store.groupKey(gid);
  const commands: GuardedCommand[] = [];
  if (change.leaving.length > 0) commands.push(["HDEL", key, ...change.leaving.map(memberField)]);
  const fields = logFields(change.changed, group.groupKey);
  if (fields.length > 0) commands.push(["HSET", key, ...fields]);
  return commands;
}

function migrationWrites(
  store: AlertStore,
  gid: string,
  state: Parameters<typeof groupStateFields>[0],
): GuardedCommand[] {
  const key = store.groupKey(gid);
  return [
    ["HDEL", key, ...legacyGroupFields],
    ["HSET", key, ...groupStateFields(state)],
    ["DEL", store.legacyGroupAlertsKey(gid)],
    ["DEL", store.legacyNotificationLogKey(gid)],
  ];
}

function logFields(
  entries: ReadonlyMap<string, NotificationLogEntry>,
  groupKey: string | undefined,
): string[] {
  return [...entries].flatMap(([field, entry]) => [logEntryField(field), encodeLogEntry(entry, groupKey)]);
}
