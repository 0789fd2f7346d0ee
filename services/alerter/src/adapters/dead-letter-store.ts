import { type Redis, runGuarded } from "@argus/runtime";
import type { ReplayPlan } from "../domain/dead-letter-replay.js";
import type { Notification } from "../domain/notification.js";
import type { AlertStore } from "./alert-store.js";

/** An outbox item as read: its stored text (what a guarded write compares) and the item, opened. */
export interface StoredNotificationItem {
  raw: string;
  item: Notification;
}

/** The outbox's items as replay sees them: one to read, whether it was delivered, back into its queue. */
export class DeadLetterStore {
  constructor(
    private readonly redis: Redis,
    private readonly store: AlertStore,
  ) {}

  async find(id: string): Promise<StoredNotificationItem | null> {
    const raw = await this.redis.get(this.store.itemKey(id));
    return raw === null ? null : { raw, item: this.store.parseNotification(id, raw) };
  }

  /** The tenant a notification was delivered to, for as long as deliveries are remembered; else null. */
  async deliveredTo(id: string): Promise<string | null> {
    return this.redis.get(this.store.deliveredKey(id));
  }

  /**
   * Puts the replayed item back into its queue at its sequence and makes it due now, out of the
   * dead letters, with its history lines; only if the item is still `expected`. False when it changed.
   */
  async requeue(expected: string, plan: ReplayPlan, dueAt: number): Promise<boolean> {
    const { store } = this;
    const { replayed } = plan;
    return runGuarded(this.redis, {
      key: store.itemKey(replayed.id),
      expected,
      next: store.serializeNotification(replayed),
      commands: [
        ["ZREM", store.deadKey, replayed.id],
        ["ZADD", store.queueKey(replayed.queue), "NX", replayed.sequence, replayed.id],
        ["ZADD", store.dueKey, "NX", dueAt, replayed.id],
        ...plan.history.flatMap(({ fingerprint, entry }) => store.historyCommands(fingerprint, entry)),
      ],
    });
  }
}
