// How an alert is stored at `alert:<fingerprint>` (decision 33). One JSON object with one-letter
// names, times in milliseconds, and what quotes findings (summary, evidence, episode) sealed as one
// array in `sealed`, the key as its context. The fingerprint is the key's, not repeated.
//
//   l labels  t tenant, m model id (each absent when the labels' tenant or model says it)
//   k kind  v severity  c client id (absent: none)
//   s 1 when resolved (absent: firing)  b startsAt  u updatedAt (absent: startsAt)  e endsAt
//   h heardAt (ms after startsAt, when both are in ms)
//   n finding count  i last finding id  q notification sequence  r resolved by
//   sealed: [summary, evidence, episode?]   (p holds the same array when sealing is off)
//
// An episode is [firstSeenAt, lastSeenAt, categories, truncated, firstEventIds, latestEventIds]
// with its first and last times null when they are startsAt and updatedAt, and its trailing empty
// parts left out; an episode that is only that is left out altogether.
//
// Alerts stored before (every field by its name, `fingerprint` among them) are read as they were.
import { type EvidenceSealer, openFields } from "@argus/runtime";
import type { AlertRecord } from "../../domain/alert.js";
import { type EpisodeSummary, episodeWithoutSamples } from "../../domain/episode.js";
import { storedTime, timeOfStored } from "./stored-time.js";

/** An alert as stored, unopened: what erasure decides on (the quoted fields only when sealing is off). */
export type StoredAlert = Omit<AlertRecord, "summary" | "evidence" | "episode"> &
  Partial<Pick<AlertRecord, "summary" | "evidence" | "episode">>;

type Time = number | string;
type CompactEpisode = [Time | null, Time | null, string[]?, (0 | 1)?, string[]?, string[]?];
type Quoted = [summary: string, evidence: Record<string, string>, episode?: CompactEpisode];

interface CompactAlert {
  t?: string;
  m?: string;
  k: number;
  v: number;
  l: Record<string, string>;
  c?: string;
  s?: 1;
  b: Time;
  u?: Time;
  h?: Time;
  e?: Time;
  n: number;
  i: string;
  q: number;
  r?: string;
  sealed?: string;
  p?: Quoted;
}

/** The stored text of `alert`, its quoted fields sealed for `key` unless sealing is off. */
export function encodeAlert(sealer: EvidenceSealer, key: string, alert: AlertRecord): string {
  const quoted = quotedOf(alert);
  const stored: CompactAlert = {
    ...(alert.labels.tenant === alert.tenant ? {} : { t: alert.tenant }),
    ...(alert.labels.model === alert.modelId ? {} : { m: alert.modelId }),
    k: alert.kind,
    v: alert.severity,
    l: alert.labels,
    ...(alert.clientId === undefined ? {} : { c: alert.clientId }),
    ...(alert.state === "resolved" ? { s: 1 as const } : {}),
    b: storedTime(alert.startsAt),
    ...(alert.updatedAt === alert.startsAt ? {} : { u: storedTime(alert.updatedAt) }),
    ...(alert.heardAt === undefined ? {} : { h: afterStart(alert.heardAt, alert.startsAt) }),
    ...(alert.endsAt === undefined ? {} : { e: storedTime(alert.endsAt) }),
    n: alert.findingCount,
    i: alert.lastFindingId,
    q: alert.notificationSeq,
    ...(alert.resolvedBy === undefined ? {} : { r: alert.resolvedBy }),
    ...(sealer.sealing ? { sealed: sealer.seal(JSON.stringify(quoted), key) } : { p: quoted }),
  };
  return JSON.stringify(stored);
}

/** The alert stored as `raw` at `key`, opened; throws when its sealed part does not open for `key`. */
export function decodeAlert(
  sealer: EvidenceSealer,
  key: string,
  fingerprint: string,
  raw: string,
): AlertRecord {
  const parsed = JSON.parse(raw) as CompactAlert | LegacyAlert;
  if (isLegacy(parsed)) return legacyAlert(sealer, key, parsed);
  const header = headerOf(fingerprint, parsed);
  const quoted =
    parsed.sealed === undefined ? parsed.p : (JSON.parse(sealer.open(parsed.sealed, key)) as Quoted);
  const [summary, evidence, episode] = quoted ?? ["", {}];
  return { ...header, summary, evidence, episode: episodeOf(episode, header) };
}

/** The alert stored as `raw`, its sealed part left closed. */
export function decodeStoredAlert(fingerprint: string, raw: string): StoredAlert {
  const parsed = JSON.parse(raw) as CompactAlert | LegacyAlert;
  if (isLegacy(parsed)) {
    const { sealed: _sealed, ...stored } = parsed;
    return stored;
  }
  const header = headerOf(fingerprint, parsed);
  if (!parsed.p) return header;
  const [summary, evidence, episode] = parsed.p;
  return { ...header, summary, evidence, episode: episodeOf(episode, header) };
}

function headerOf(fingerprint: string, stored: CompactAlert): StoredAlert {
  return {
    fingerprint,
    tenant: stored.t ?? stored.l.tenant ?? "",
    modelId: stored.m ?? stored.l.model ?? "",
    kind: stored.k,
    severity: stored.v,
    labels: stored.l,
    ...(stored.c === undefined ? {} : { clientId: stored.c }),
    state: stored.s === 1 ? "resolved" : "firing",
    startsAt: timeOfStored(stored.b),
    updatedAt: timeOfStored(stored.u ?? stored.b),
    ...(stored.h === undefined
      ? {}
      : {
          heardAt: timeOfStored(
            typeof stored.h === "number" && typeof stored.b === "number" ? stored.b + stored.h : stored.h,
          ),
        }),
    ...(stored.e === undefined ? {} : { endsAt: timeOfStored(stored.e) }),
    findingCount: stored.n,
    lastFindingId: stored.i,
    notificationSeq: stored.q,
    ...(stored.r === undefined ? {} : { resolvedBy: stored.r }),
  };
}

function quotedOf(alert: AlertRecord): Quoted {
  const { episode } = alert;
  const compact: CompactEpisode = [
    episode.firstSeenAt === alert.startsAt ? null : storedTime(episode.firstSeenAt),
    episode.lastSeenAt === alert.updatedAt ? null : storedTime(episode.lastSeenAt),
    episode.categories,
    episode.categoriesTruncated ? 1 : 0,
    episode.firstEventIds,
    episode.latestEventIds,
  ];
  while (compact.length > 2 && isEmpty(compact[compact.length - 1])) compact.pop();
  const plain = compact.length === 2 && compact[0] === null && compact[1] === null;
  return plain ? [alert.summary, alert.evidence] : [alert.summary, alert.evidence, compact];
}

function episodeOf(compact: CompactEpisode | undefined, alert: Pick<AlertRecord, "startsAt" | "updatedAt">) {
  const [first, last, categories, truncated, firstEventIds, latestEventIds] = compact ?? [null, null];
  const episode: EpisodeSummary = {
    firstSeenAt: first === null ? alert.startsAt : timeOfStored(first),
    lastSeenAt: last === null ? alert.updatedAt : timeOfStored(last),
    categories: categories ?? [],
    categoriesTruncated: truncated === 1,
    firstEventIds: firstEventIds ?? [],
    latestEventIds: latestEventIds ?? [],
  };
  return episode;
}

/** A time as ms after `start` (a few digits, not 13) when both are in ms, else stored as usual. */
function afterStart(time: string, start: string): Time {
  const stored = storedTime(time);
  const from = storedTime(start);
  return typeof stored === "number" && typeof from === "number" ? stored - from : stored;
}

function isEmpty(value: unknown): boolean {
  return value === 0 || (Array.isArray(value) && value.length === 0);
}

/** An alert stored before decision 33: every field by its name, the quoted ones sealed in `sealed`. */
type LegacyAlert = StoredAlert & { sealed?: string };

function isLegacy(stored: CompactAlert | LegacyAlert): stored is LegacyAlert {
  return typeof (stored as LegacyAlert).fingerprint === "string";
}

function legacyAlert(sealer: EvidenceSealer, key: string, stored: LegacyAlert): AlertRecord {
  const alert = openFields<AlertRecord & { episode?: AlertRecord["episode"] }>(sealer, key, stored);
  // Stored before episodes were summarized: its times are known, its samples were never kept.
  alert.episode ??= episodeWithoutSamples(alert.startsAt, alert.updatedAt);
  return alert;
}
