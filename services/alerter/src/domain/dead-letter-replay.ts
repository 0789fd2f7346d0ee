import { FailedPrecondition, NotFound } from "./errors.js";
import type { HistoryEntry } from "./history.js";
import type { Notification } from "./notification.js";

export interface ReplayPlan {
  replayed: Notification;
  /** A line for the history of every alert the notification speaks of. */
  history: { fingerprint: string; entry: HistoryEntry }[];
}

/**
 * Puts a dead-lettered notification back at its place (same id, same sequence) with a fresh retry
 * budget. `item` is the tenant's notification as stored (null when there is none); `deliveredTo`
 * the tenant it was delivered to, when it was. A notification of another tenant is not found.
 */
export function planReplay(
  request: { id: string; tenant: string; actor: string },
  item: Notification | null,
  deliveredTo: string | null,
  now: Date,
): ReplayPlan {
  const { id, tenant, actor } = request;
  if (!item && deliveredTo === tenant)
    throw new FailedPrecondition(`notification ${id} was delivered; it is not dead-lettered`);
  if (!item || item.tenant !== tenant) throw new NotFound(`no notification with id ${id}`);
  if (!item.deadAt) throw new FailedPrecondition(`notification ${id} is not dead-lettered`);
  const { deadAt: _deadAt, deadReason, lastError: _lastError, ...rest } = item;
  const at = now.toISOString();
  return {
    replayed: { ...rest, attempts: 0, createdAt: at, replays: (item.replays ?? 0) + 1 },
    history: item.fingerprints.map((fingerprint) => ({
      fingerprint,
      entry: {
        at,
        action: "replayed",
        actor,
        notificationId: id,
        receiver: item.receiver,
        detail: `dead because: ${deadReason ?? "?"}`,
      },
    })),
  };
}
