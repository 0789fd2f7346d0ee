import type { AlertRecord } from "../alert.js";
import { type InhibitionCandidate, type InhibitRule, inhibitingAlert } from "../inhibition.js";
import { type Silence, silencesMuting } from "../silences.js";

/** What may keep a group's alerts out of its notifications at a flush. */
export interface FlushMutes {
  /** The group's tenant's silences (active, pending or expired: the flush's time decides). */
  silences: readonly Silence[];
  /** The tenant's firing alerts, the candidate sources of inhibition (empty without inhibit rules). */
  inhibitionSources: readonly InhibitionCandidate[];
}

/** The alerts a flush reports: the group's alerts minus those silenced or inhibited at `now`. */
export function shownAlerts(
  alerts: readonly AlertRecord[],
  mutes: FlushMutes,
  inhibitRules: readonly InhibitRule[],
  now: Date,
): AlertRecord[] {
  return alerts.filter(
    (alert) =>
      silencesMuting(mutes.silences, alert, now).length === 0 &&
      (inhibitRules.length === 0 ||
        inhibitingAlert(inhibitRules, alert, mutes.inhibitionSources) === undefined),
  );
}
