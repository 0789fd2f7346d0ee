import type { AlertStore } from "../adapters/alert-store.js";
import type { ResolutionStore } from "../adapters/resolution-store.js";
import type { RoutingConfigSource } from "../adapters/routing-config-source.js";
import type { AlertRecord } from "../domain/alert.js";
import { Conflict } from "../domain/errors.js";
import { groupsFor } from "../domain/grouping.js";
import { planResolution } from "../domain/resolution.js";
import type { Clock, Wake } from "./ports.js";

export interface EndEpisodeDeps {
  store: Pick<AlertStore, "getAlert">;
  resolutions: Pick<ResolutionStore, "writeIfUnchanged">;
  routing: Pick<RoutingConfigSource, "current">;
  wake: Pick<Wake, "groups">;
  clock: Clock;
}

/** Findings racing a resolution this many times in a row leave it to the caller to try again. */
const maxAttempts = 5;

/**
 * Ends a firing episode without a detector (by hand, or the resolve timeout), the episode ending
 * `at`; compare-and-set on the stored alert, so a finding that arrives meanwhile is never
 * overwritten: the alert is read again and the decision made again. Null when it is not firing
 * (or gone).
 */
export async function endEpisode(
  deps: EndEpisodeDeps,
  found: { raw: string; alert: AlertRecord },
  by: string,
  at: Date,
  note?: string,
): Promise<AlertRecord | null> {
  let current = found;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const resolution = planResolution(current.alert, by, at, deps.clock(), note);
    if (!resolution) return null;
    const groups = groupsFor(deps.routing.current, resolution.resolved);
    if (await deps.resolutions.writeIfUnchanged(current.raw, resolution, groups, at.getTime())) {
      deps.wake.groups();
      return resolution.resolved;
    }
    const again = await deps.store.getAlert(current.alert.fingerprint);
    if (!again) return null;
    current = again;
  }
  throw new Conflict("the alert kept changing while resolving it; try again");
}
