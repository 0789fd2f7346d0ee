import type { GuardedCommand } from "@argus/runtime";
import type { Notification } from "../domain/notification.js";
import type { AlertStore } from "./alert-store.js";

/**
 * Stores a notification before anything is sent: the item, its place in its queue (ordered by the
 * group's notification number) and a due time; only a queue's head is ever sent. Its id is new (it
 * is made from the number, which the same write moves on), so no NX is needed.
 */
export function enqueueCommands(
  store: AlertStore,
  notification: Notification,
  dueAt: number,
): GuardedCommand[] {
  return [
    ["SET", store.itemKey(notification.id), store.serializeNotification(notification)],
    ["ZADD", store.queueKey(notification.queue), notification.sequence, notification.id],
    ["ZADD", store.dueKey, dueAt, notification.id],
  ];
}
