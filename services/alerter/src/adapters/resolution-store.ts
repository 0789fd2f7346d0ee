import { type Redis, runGuarded } from "@argus/runtime";
import type { GroupRef } from "../domain/grouping.js";
import type { Resolution } from "../domain/resolution.js";
import type { AlertStore } from "./alert-store.js";

/** Where an episode ended without a detector (by hand, or the resolve timeout) is written. */
export class ResolutionStore {
  constructor(
    private readonly redis: Redis,
    private readonly store: AlertStore,
  ) {}

  /**
   * Writes the resolved alert, its history line and its place in `groups` (so they notify the
   * resolution, first flush at `firstFlushAt` for a group that is new), only if the alert is still
   * `expected` as read: a finding that arrived meanwhile is never overwritten. False when it was.
   */
  async writeIfUnchanged(
    expected: string,
    resolution: Resolution,
    groups: readonly GroupRef[],
    firstFlushAt: number,
  ): Promise<boolean> {
    const { store } = this;
    const { resolved, entry } = resolution;
    return runGuarded(this.redis, {
      key: store.alertKey(resolved.fingerprint),
      expected,
      next: store.serializeAlert(resolved),
      commands: [
        ...store.saveAlertCommands(resolved).filter(([verb]) => verb !== "SET"),
        ...store.historyCommands(resolved.fingerprint, entry),
        ...groups.flatMap((group) => store.joinGroupCommands(group, resolved.fingerprint, firstFlushAt)),
      ],
    });
  }
}
