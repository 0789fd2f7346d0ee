import type { Redis } from "@argus/runtime";
import type { GroupRef } from "../domain/grouping.js";
import type { AlertStore } from "./alert-store.js";
import { throwFirstError } from "./pipeline-replies.js";

export interface GroupMembership {
  group: GroupRef;
  fingerprint: string;
}

/** Puts alerts into routing groups outside the findings path (after a configuration reload). */
export class GroupMembershipStore {
  constructor(
    private readonly redis: Redis,
    private readonly store: AlertStore,
  ) {}

  /** Joins each alert to its group, in one round trip; a group that is new first flushes at `firstFlushAt`. */
  async join(memberships: readonly GroupMembership[], firstFlushAt: number): Promise<void> {
    if (memberships.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { group, fingerprint } of memberships) {
      // Regrouped firing alerts keep their acknowledgements: the new groups read them.
      const commands = this.store.joinGroupCommands(group, fingerprint, firstFlushAt, { readsAcks: true });
      for (const [verb, key, ...args] of commands) pipeline.call(verb, key, ...args.map(String));
    }
    throwFirstError(await pipeline.exec());
  }
}
