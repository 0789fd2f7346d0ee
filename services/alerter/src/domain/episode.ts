import type { Finding } from "@argus/proto";

/**
 * What on-call needs to know about an episode (one firing period of an alert) beyond its latest
 * finding: when the condition was first and last seen, which categories the findings named, and a
 * bounded sample of the events behind them. Without it a notification about 700 attacker events
 * quotes only the last one.
 */
export interface EpisodeSummary {
  /** Earliest finding time of the episode (findings may arrive out of order). */
  firstSeenAt: string;
  /** Latest finding time of the episode. */
  lastSeenAt: string;
  /** Distinct categories of the findings' `evidence.categories`, in order of first appearance. */
  categories: string[];
  /** Set when a category was left out because `categories` was full. */
  categoriesTruncated: boolean;
  /** The episode's first distinct event ids. */
  firstEventIds: string[];
  /** The latest distinct event ids after those, oldest first: a sliding window. */
  latestEventIds: string[];
}

export const episodeLimits = {
  /** Room for every text-scanner category (18 today, only ever added to) and more. */
  categories: 32,
  firstEventIds: 10,
  latestEventIds: 10,
  /** Longer values are a detector's mistake, not an id or a category: they are left out. */
  valueChars: 128,
} as const;

/** A fresh episode: only the finding that opens it. */
export function startEpisode(finding: Finding, at: string): EpisodeSummary {
  return addToEpisode(
    {
      firstSeenAt: at,
      lastSeenAt: at,
      categories: [],
      categoriesTruncated: false,
      firstEventIds: [],
      latestEventIds: [],
    },
    finding,
    at,
  );
}

/** `episode` with one more finding of it, observed at `at`. */
export function addToEpisode(episode: EpisodeSummary, finding: Finding, at: string): EpisodeSummary {
  const categories = [...episode.categories];
  let categoriesTruncated = episode.categoriesTruncated;
  for (const category of categoriesOf(finding)) {
    if (categories.includes(category)) continue;
    if (categories.length < episodeLimits.categories) categories.push(category);
    else categoriesTruncated = true;
  }
  const firstEventIds = [...episode.firstEventIds];
  const latestEventIds = [...episode.latestEventIds];
  for (const id of eventIdsOf(finding)) {
    if (firstEventIds.includes(id)) continue;
    if (firstEventIds.length < episodeLimits.firstEventIds) {
      firstEventIds.push(id);
      continue;
    }
    // Seen again: it moves to the newest end of the window.
    const known = latestEventIds.indexOf(id);
    if (known >= 0) latestEventIds.splice(known, 1);
    latestEventIds.push(id);
    if (latestEventIds.length > episodeLimits.latestEventIds) latestEventIds.shift();
  }
  return {
    firstSeenAt: earliest(episode.firstSeenAt, at),
    lastSeenAt: latest(episode.lastSeenAt, at),
    categories,
    categoriesTruncated,
    firstEventIds,
    latestEventIds,
  };
}

/**
 * What an alert stored before episodes were summarized gets on read: its times, and no samples
 * (they were never kept).
 */
export function episodeWithoutSamples(startsAt: string, updatedAt: string): EpisodeSummary {
  return {
    firstSeenAt: startsAt,
    lastSeenAt: updatedAt,
    categories: [],
    categoriesTruncated: false,
    firstEventIds: [],
    latestEventIds: [],
  };
}

/** The sample of the episode's events: its first ids, then its latest (at most 20, no repeats). */
export function sampleEventIds(episode: EpisodeSummary): string[] {
  return [...episode.firstEventIds, ...episode.latestEventIds];
}

/** The finding's `evidence.categories` (a comma-separated list), trimmed, empty ones skipped. */
function categoriesOf(finding: Finding): string[] {
  return (finding.evidence.categories ?? "")
    .split(",")
    .map((category) => category.trim())
    .filter((category) => category !== "" && category.length <= episodeLimits.valueChars);
}

/** The events a finding names: `evidence.event_id`, then its `sampleEventIds`. */
function eventIdsOf(finding: Finding): string[] {
  const ids = [finding.evidence.event_id ?? "", ...finding.sampleEventIds]
    .map((id) => id.trim())
    .filter((id) => id !== "" && id.length <= episodeLimits.valueChars);
  return [...new Set(ids)];
}

function earliest(a: string, b: string): string {
  return Date.parse(b) < Date.parse(a) ? b : a;
}

function latest(a: string, b: string): string {
  return Date.parse(b) < Date.parse(a) ? a : b;
}
