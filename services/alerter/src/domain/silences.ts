import { type Matcher, MatcherError, matcher, matches, matchesAll } from "./routing/matchers.js";

/** A tenant's instruction to stop notifying about alerts whose labels match, for a window of time. */
export interface Silence {
  id: string;
  tenant: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  createdAt: string;
  updatedAt: string;
}

export type SilenceState = "pending" | "active" | "expired";

export interface SilenceInput {
  matchers: Matcher[];
  /** Defaults to now; a start in the past is moved to now, since a silence cannot rewrite history. */
  startsAt?: Date;
  endsAt: Date;
  createdBy: string;
  comment: string;
}

const maxMatchers = 64;
const maxCommentLength = 1000;

/**
 * Active from `startsAt` (inclusive) to `endsAt` (exclusive): the end is exclusive so that expiring
 * a silence (setting its end to now) takes effect at once.
 */
export function silenceState(silence: Silence, now: Date): SilenceState {
  const at = now.getTime();
  if (at < Date.parse(silence.startsAt)) return "pending";
  if (at >= Date.parse(silence.endsAt)) return "expired";
  return "active";
}

/** Null when the input makes a silence, else a message that names the offending field. */
export function validateSilence(input: SilenceInput, now: Date): string | null {
  const matcherProblem = validateMatchers(input.matchers);
  if (matcherProblem) return matcherProblem;
  const startsAt = input.startsAt ?? now;
  if (Number.isNaN(startsAt.getTime())) return "startsAt: not a valid time";
  if (Number.isNaN(input.endsAt.getTime())) return "endsAt: not a valid time";
  if (input.endsAt.getTime() <= startsAt.getTime()) return "endsAt: must be after startsAt";
  if (input.endsAt.getTime() <= now.getTime()) return "endsAt: must be in the future";
  if (input.createdBy.trim() === "") return "createdBy: must not be empty";
  if (input.comment.trim() === "") return "comment: must not be empty";
  if ([...input.comment].length > maxCommentLength) {
    return `comment: must be at most ${maxCommentLength} characters`;
  }
  return null;
}

function validateMatchers(matchers: readonly Matcher[]): string | null {
  if (matchers.length === 0) return "matchers: at least one matcher is required";
  if (matchers.length > maxMatchers) return `matchers: at most ${maxMatchers} matchers are allowed`;
  for (const [index, m] of matchers.entries()) {
    // Input may come from JSON rather than from `matcher()`, so names and expressions are re-checked.
    try {
      matcher(m.name, m.type, m.value);
    } catch (error) {
      if (error instanceof MatcherError) return `matchers[${index}]: ${error.message}`;
      throw error;
    }
  }
  if (matchers.every(matchesAbsentLabels)) {
    return "matchers: at least one matcher must not match the empty string (the silence would mute every alert)";
  }
  return null;
}

/**
 * Alertmanager's test for a matcher that cannot narrow a silence: a positive matcher satisfied by an
 * absent label. Negative matchers never count, as in Alertmanager, so `env!="prod"` alone is a valid
 * (deliberately broad) silence.
 */
function matchesAbsentLabels(m: Matcher): boolean {
  if (m.type === "!=" || m.type === "!~") return false;
  return matches(m, {});
}

/** Builds the silence for input that `validateSilence` accepted; throws on input it would reject. */
export function newSilence(id: string, tenant: string, input: SilenceInput, now: Date): Silence {
  const problem = validateSilence(input, now);
  if (problem) throw new Error(`invalid silence: ${problem}`);
  const requestedStart = input.startsAt ?? now;
  const startsAt = requestedStart.getTime() < now.getTime() ? now : requestedStart;
  const at = now.toISOString();
  return {
    id,
    tenant,
    matchers: input.matchers.map((m) => ({ ...m })),
    startsAt: startsAt.toISOString(),
    endsAt: input.endsAt.toISOString(),
    createdBy: input.createdBy.trim(),
    comment: input.comment,
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * Ends a silence now. A pending one is collapsed to an empty window at now, so that it reads as
 * expired rather than as a silence that never existed; an expired one is returned as it is.
 */
export function expireSilence(silence: Silence, now: Date): Silence {
  const at = now.toISOString();
  switch (silenceState(silence, now)) {
    case "expired":
      return silence;
    case "active":
      return { ...silence, endsAt: at, updatedAt: at };
    case "pending":
      return { ...silence, startsAt: at, endsAt: at, updatedAt: at };
  }
}

/** Ids of the silences muting an alert: active, of the alert's tenant, with every matcher matching. */
export function silencesMuting(
  silences: readonly Silence[],
  alert: { tenant: string; labels: Readonly<Record<string, string>> },
  now: Date,
): string[] {
  return silences
    .filter(
      (silence) =>
        silence.tenant === alert.tenant &&
        silenceState(silence, now) === "active" &&
        matchesAll(silence.matchers, alert.labels),
    )
    .map((silence) => silence.id);
}
