import type { DeadLetterStore, StoredNotificationItem } from "../adapters/dead-letter-store.js";
import { planReplay } from "../domain/dead-letter-replay.js";
import { Conflict } from "../domain/errors.js";
import type { Notification } from "../domain/notification.js";
import { type AuditTrail, type Caller, type Clock, recordAction, type Wake } from "./ports.js";

export interface ReplayDeps {
  deadLetters: Pick<DeadLetterStore, "find" | "deliveredTo" | "requeue">;
  wake: Pick<Wake, "outbox">;
  audit: AuditTrail;
  clock: Clock;
}

/** On-call puts a dead-lettered notification back into its queue, at its place, with a fresh retry budget. */
export async function replayDeadLetter(deps: ReplayDeps, caller: Caller, id: string): Promise<Notification> {
  const found = await deps.deadLetters.find(id);
  // Only a notification that is gone is looked for among deliveries (to say why it cannot be replayed).
  const deliveredTo = found ? null : await deps.deadLetters.deliveredTo(id);
  const now = deps.clock();
  const plan = planReplay({ id, ...caller }, found?.item ?? null, deliveredTo, now);
  // A plan means the item was found (planReplay refuses a missing one).
  const { raw } = found as StoredNotificationItem;
  if (!(await deps.deadLetters.requeue(raw, plan, now.getTime())))
    throw new Conflict(`notification ${id} changed meanwhile; try again`);
  await recordAction(deps.audit, caller, "alerter.replay_dead_letter", id, {
    receiver: plan.replayed.receiver,
  });
  deps.wake.outbox();
  return plan.replayed;
}
