/** A finding as read from the findings topic, reduced to what scoring needs. */
export interface ObservedFinding {
  findingId: string;
  /** The proto enum name, e.g. FINDING_KIND_EXTRACTION. */
  kind: string;
  modelId: string;
  detector: string;
  /** The pseudonym it names: `subject.clientId`, else `labels.client`. */
  clientId: string | undefined;
  /** `sampleEventIds` and `evidence.event_id`. */
  eventIds: string[];
  /** `observedAt` in epoch ms, when set. */
  observedAtMs: number | undefined;
  summary: string;
  /** A verdict on the client's behaviour over many queries, not on one event (see isClientLevel). */
  clientLevel: boolean;
}

/** Kinds that accuse a client of a behaviour; the others judge one event (a prompt, an outlier). */
export const clientLevelKinds: readonly string[] = [
  "FINDING_KIND_EXTRACTION",
  "FINDING_KIND_ADVERSARIAL_PROBE",
  "FINDING_KIND_MEMBERSHIP_PROBE",
  "FINDING_KIND_RATE_ABUSE",
  "FINDING_KIND_RESOURCE_ABUSE",
  "FINDING_KIND_POISONING",
];

/** Client-level: a behaviour kind, or whatever the detector routes as a suspicious client. */
export function isClientLevel(kind: string, labels: Record<string, string>): boolean {
  return clientLevelKinds.includes(kind) || labels.alertname === "SuspiciousClient";
}

export interface AttackTruth {
  name: string;
  family: string;
  modelId: string;
  expectedKinds: string[];
  pseudonym: string;
  /** The attacker's events in event-time order, times in ms since the period start. */
  events: { eventId: string; atMs: number }[];
  burstStartMs?: number;
  params: Record<string, number | string>;
}

export interface BenignTruth {
  clientId: string;
  pseudonym: string;
  serviceAccount: boolean;
}

export interface TextTruth {
  eventId: string;
  category: string;
  attack: boolean;
}

export interface RunTruth {
  /** Epoch ms that the stream's atMs = 0 was sent as (event time). */
  periodStartMs: number;
  periodMs: number;
  attacks: AttackTruth[];
  benign: BenignTruth[];
  textEvents: TextTruth[];
}

/** The detection targets. */
export const targets = {
  queriesBeforeDetection: 300,
  rateAbuseSeconds: 30,
  benignFlagged: 0,
  benignPages: 0,
};

export interface AttackScore {
  name: string;
  family: string;
  modelId: string;
  queries: number;
  detected: boolean;
  /** Attacker queries up to and including the one the first expected finding was raised on (null: unknown). */
  queriesBeforeDetection: number | null;
  /** Rate abuse: seconds of event time from the start of the burst to that query. */
  secondsFromBurst: number | null;
  /** Every finding kind that named the attacker, with counts (expected or not). */
  kindsNamingAttacker: Record<string, number>;
  pass: boolean;
  why: string;
  params: Record<string, number | string>;
}

/** Position (1-based) in the attacker's own queries at which a finding can have been raised, if known. */
export function detectionPosition(
  attack: AttackTruth,
  finding: ObservedFinding,
  periodStartMs: number,
  periodMs: number,
): number | null {
  const index = new Map(attack.events.map((event, i) => [event.eventId, i]));
  let latest = -1;
  for (const id of finding.eventIds) latest = Math.max(latest, index.get(id) ?? -1);
  if (latest >= 0) return latest + 1;
  // Without event ids, observedAt is used only when it reads as event time (inside the replayed period).
  const observed = finding.observedAtMs;
  const slack = 5 * 60_000;
  if (
    observed === undefined ||
    observed < periodStartMs - slack ||
    observed > periodStartMs + periodMs + slack
  )
    return null;
  return attack.events.filter((event) => periodStartMs + event.atMs <= observed).length;
}

export function scoreAttack(
  attack: AttackTruth,
  findings: ObservedFinding[],
  periodStartMs: number,
  periodMs: number,
): AttackScore {
  const naming = findings.filter((finding) => finding.clientId === attack.pseudonym);
  const kindsNamingAttacker = countBy(naming.map((finding) => finding.kind));
  const caught = naming.filter((finding) => attack.expectedKinds.includes(finding.kind));
  // A rate finding before the burst judged the attacker's normal traffic: it did not catch the burst.
  const beforeBurst = (position: number) =>
    attack.burstStartMs !== undefined && (attack.events[position - 1]?.atMs ?? 0) < attack.burstStartMs;
  const positions = caught
    .map((finding) => detectionPosition(attack, finding, periodStartMs, periodMs))
    .filter((position): position is number => position !== null && !beforeBurst(position));
  const position = positions.length > 0 ? Math.min(...positions) : null;
  const detected = caught.length > 0;
  let secondsFromBurst: number | null = null;
  if (attack.burstStartMs !== undefined && position !== null && position > 0) {
    const at = attack.events[position - 1]?.atMs;
    if (at !== undefined) secondsFromBurst = Math.round((at - attack.burstStartMs) / 100) / 10;
  }
  let pass: boolean;
  let why: string;
  if (!detected) {
    pass = false;
    why =
      naming.length > 0
        ? `missed (named only by ${Object.keys(kindsNamingAttacker).map(short).join(", ")})`
        : "missed";
  } else if (attack.burstStartMs !== undefined) {
    pass = secondsFromBurst !== null && secondsFromBurst <= targets.rateAbuseSeconds;
    why = secondsFromBurst === null ? "detected, time unknown" : `${secondsFromBurst} s after burst start`;
  } else {
    pass = position !== null && position < targets.queriesBeforeDetection;
    why = position === null ? "detected, query count unknown" : `after ${position} queries`;
  }
  return {
    name: attack.name,
    family: attack.family,
    modelId: attack.modelId,
    queries: attack.events.length,
    detected,
    queriesBeforeDetection: position,
    secondsFromBurst,
    kindsNamingAttacker,
    pass,
    why,
    params: attack.params,
  };
}

export interface FalseAlarm {
  clientId: string;
  serviceAccount: boolean;
  kinds: Record<string, number>;
}

/**
 * Benign clients named by findings, with the kinds that named them: client-level findings are the
 * false alarms the target counts; `clientLevel: false` gives the event-level ones (reported apart).
 */
export function falseAlarms(
  benign: BenignTruth[],
  findings: ObservedFinding[],
  clientLevel = true,
): FalseAlarm[] {
  const byPseudonym = new Map(benign.map((client) => [client.pseudonym, client]));
  const named = new Map<BenignTruth, string[]>();
  for (const finding of findings) {
    if (finding.clientLevel !== clientLevel) continue;
    const client = finding.clientId === undefined ? undefined : byPseudonym.get(finding.clientId);
    if (client === undefined) continue;
    named.set(client, [...(named.get(client) ?? []), finding.kind]);
  }
  return [...named.entries()]
    .map(([client, kinds]) => ({
      clientId: client.clientId,
      serviceAccount: client.serviceAccount,
      kinds: countBy(kinds),
    }))
    .sort((a, b) => a.clientId.localeCompare(b.clientId));
}

export interface CategoryScore {
  category: string;
  attack: boolean;
  events: number;
  flagged: number;
  /** Attack categories: flagged / events. */
  recall: number | null;
  /** Attack categories: TP_c / (TP_c + every benign event flagged), i.e. precision were c the only attack. */
  precision: number | null;
  /** Benign categories: flagged / events. */
  falsePositiveRate: number | null;
}

export interface TextScore {
  events: number;
  attackEvents: number;
  flaggedAttacks: number;
  flaggedBenign: number;
  recall: number | null;
  precision: number | null;
  categories: CategoryScore[];
}

/** Prompt-injection findings against the text events: an event is flagged when a finding names its id. */
export function scoreText(textEvents: TextTruth[], findings: ObservedFinding[]): TextScore {
  const flagged = new Set(
    findings
      .filter((finding) => finding.kind === "FINDING_KIND_PROMPT_INJECTION")
      .flatMap((finding) => finding.eventIds),
  );
  const groups = new Map<string, TextTruth[]>();
  for (const event of textEvents) {
    const key = `${event.attack ? "attack" : "benign"}\u0000${event.category}`;
    groups.set(key, [...(groups.get(key) ?? []), event]);
  }
  const flaggedBenign = textEvents.filter((event) => !event.attack && flagged.has(event.eventId)).length;
  const categories = [...groups.values()]
    .map((events): CategoryScore => {
      const first = events[0] as TextTruth;
      const hits = events.filter((event) => flagged.has(event.eventId)).length;
      return {
        category: first.category,
        attack: first.attack,
        events: events.length,
        flagged: hits,
        recall: first.attack ? ratio(hits, events.length) : null,
        precision: first.attack ? ratio(hits, hits + flaggedBenign) : null,
        falsePositiveRate: first.attack ? null : ratio(hits, events.length),
      };
    })
    .sort((a, b) => Number(b.attack) - Number(a.attack) || a.category.localeCompare(b.category));
  const attackEvents = textEvents.filter((event) => event.attack).length;
  const flaggedAttacks = textEvents.filter((event) => event.attack && flagged.has(event.eventId)).length;
  return {
    events: textEvents.length,
    attackEvents,
    flaggedAttacks,
    flaggedBenign,
    recall: ratio(flaggedAttacks, attackEvents),
    precision: ratio(flaggedAttacks, flaggedAttacks + flaggedBenign),
    categories,
  };
}

export function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : Math.round((numerator / denominator) * 1000) / 1000;
}

export function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** FINDING_KIND_RATE_ABUSE → rate_abuse */
export function short(kind: string): string {
  return kind.replace(/^FINDING_KIND_/, "").toLowerCase();
}

export interface Evaluation {
  attacks: AttackScore[];
  falseAlarms: FalseAlarm[];
  /** Benign clients named only by event-level findings (outliers, input checks, text scanners). */
  eventLevelOnBenign: FalseAlarm[];
  text: TextScore;
  /** Findings that named no client, by kind (model-level: drift, outliers without a client...). */
  modelLevelFindings: Record<string, number>;
  findings: number;
}

export function evaluate(truth: RunTruth, findings: ObservedFinding[]): Evaluation {
  return {
    attacks: truth.attacks.map((attack) =>
      scoreAttack(attack, findings, truth.periodStartMs, truth.periodMs),
    ),
    falseAlarms: falseAlarms(truth.benign, findings),
    eventLevelOnBenign: falseAlarms(truth.benign, findings, false),
    text: scoreText(truth.textEvents, findings),
    modelLevelFindings: countBy(
      findings.filter((finding) => !finding.clientId).map((finding) => finding.kind),
    ),
    findings: findings.length,
  };
}
