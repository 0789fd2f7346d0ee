import type { Redis } from "@argus/runtime";
import type { AcknowledgementChange } from "../domain/acknowledgement.js";
import type { AlertStore } from "./alert-store.js";
import { throwFirstError } from "./pipeline-replies.js";
import { groupField } from "./stored/group-layout.js";

/**
 * Marks a group that exists as one whose flushes read acknowledgements (ARGV[4]), then ZADD XX of
 * its due time, only when the group has flushed before: it has a next regular flush (ARGV[3], or
 * `regularAt` in a hash stored before decision 33).
 */
const wakeIfFlushed = `if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HSET', KEYS[2], ARGV[4], '1') end
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 1 or redis.call('HEXISTS', KEYS[2], 'regularAt') == 1 then
  return redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[2])
end
return 0`;

/** An acknowledgement outlives any episode on-call would still look at. */
const acknowledgementTtlMs = 30 * 24 * 3_600_000;

/** Where on-call's acknowledgements are written (read through AlertStore.getAcks). */
export class AcknowledgementStore {
  constructor(
    private readonly redis: Redis,
    private readonly store: AlertStore,
  ) {}

  /**
   * Writes the acknowledgement (or its removal) and its history line, marks the groups `wake` as
   * groups whose flushes read acknowledgements and makes them due at `now`, in one transaction. Only a group that has notified before is made due: one still
   * in group_wait keeps its first flush time, and that first notification carries the change anyway.
   */
  async write(
    fingerprint: string,
    change: AcknowledgementChange,
    wake: readonly string[],
    now: number,
  ): Promise<void> {
    const { store } = this;
    const ack: [string, string, ...(string | number)[]] = change.ack
      ? ["SET", store.ackKey(fingerprint), JSON.stringify(change.ack), "PX", acknowledgementTtlMs]
      : ["DEL", store.ackKey(fingerprint)];
    const transaction = this.redis.multi();
    for (const [verb, key, ...args] of [ack, ...store.historyRedisCommands(fingerprint, change.entry)])
      transaction.call(verb, key, ...args.map(String));
    for (const gid of wake)
      transaction.eval(
        wakeIfFlushed,
        2,
        store.groupsDueKey,
        store.groupKey(gid),
        now,
        gid,
        groupField.regularAt,
        groupField.readsAcks,
      );
    throwFirstError(await transaction.exec());
  }
}
