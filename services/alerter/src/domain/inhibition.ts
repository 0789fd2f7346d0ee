import { type Matcher, matchesAll } from "./routing/matchers.js";

/**
 * While a firing alert matches `sourceMatchers`, alerts matching `targetMatchers` are not notified,
 * provided both carry the same value for every label in `equal` (Alertmanager's inhibit_rules).
 */
export interface InhibitRule {
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  equal: string[];
}

export interface InhibitionCandidate {
  fingerprint: string;
  tenant: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * The fingerprint of the first firing alert that inhibits `target`, or undefined.
 *
 * A target that matches both sides of a rule can only be inhibited by a source that matches the
 * source side alone: otherwise two such alerts (say two `severity="critical"` alerts under a rule
 * from critical to any severity) would mute each other and on-call would hear about neither.
 */
export function inhibitingAlert(
  rules: readonly InhibitRule[],
  target: InhibitionCandidate,
  firingAlerts: readonly InhibitionCandidate[],
): string | undefined {
  for (const rule of rules) {
    if (!matchesAll(rule.targetMatchers, target.labels)) continue;
    const targetIsAlsoSource = matchesAll(rule.sourceMatchers, target.labels);
    const source = firingAlerts.find(
      (candidate) =>
        candidate.tenant === target.tenant &&
        candidate.fingerprint !== target.fingerprint &&
        matchesAll(rule.sourceMatchers, candidate.labels) &&
        equalLabelsAgree(rule.equal, candidate.labels, target.labels) &&
        !(targetIsAlsoSource && matchesAll(rule.targetMatchers, candidate.labels)),
    );
    if (source) return source.fingerprint;
  }
  return undefined;
}

/** An absent label reads as "", so a label missing from both alerts counts as equal. */
function equalLabelsAgree(
  names: readonly string[],
  source: Readonly<Record<string, string>>,
  target: Readonly<Record<string, string>>,
): boolean {
  return names.every((name) => (source[name] ?? "") === (target[name] ?? ""));
}
