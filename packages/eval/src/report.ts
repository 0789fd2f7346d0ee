import type { Scenario } from "./scenario.js";
import { type Evaluation, type FalseAlarm, short, type TextScore, targets } from "./scoring.js";

/** What one replay observed besides findings: pages at the webhook receiver. */
export interface PagesSeen {
  /** Verified deliveries. */
  pages: number;
  /** Alerts in those deliveries, by their `kind` label (else `alertname`). */
  alertKinds: Record<string, number>;
  /** Deliveries whose alerts name a benign client (label `client`). */
  pagesNamingBenign: number;
  /** Requests whose signature did not verify (the receiver answered 401). */
  unverified: number;
}

export interface StreamFacts {
  events: number;
  benignClients: number;
  attackers: number;
  textEvents: number;
  textAttackEvents: number;
  distinctBenignPrompts: number;
  partitions: number;
  detectorReplicas: number;
  simulatedMinutes: number;
}

export interface EvalSummary {
  seed: number;
  mode: "quick" | "full";
  pass: boolean;
  /** Every target that did not hold, in words. */
  failures: string[];
  stream: StreamFacts;
  attacks: {
    name: string;
    model: string;
    queries: number;
    detected: boolean;
    queriesBeforeDetection: number | null;
    secondsFromBurst: number | null;
    pass: boolean;
    why: string;
  }[];
  benignClientsFlagged: number;
  falseAlarms: FalseAlarm[];
  benignClientsWithEventLevelFindings: number;
  attackRunPages: PagesSeen;
  /** null: the benign-only replay was not run, so the "0 pages" target is not measured. */
  benignRunPages: PagesSeen | null;
  text: {
    recall: number | null;
    precision: number | null;
    categories: Record<string, { events: number; recall: number | null; precision: number | null }>;
    benignFalsePositiveRate: number | null;
  };
  findings: number;
  wallSeconds: number;
}

export function summarize(input: {
  seed: number;
  quick: boolean;
  stream: StreamFacts;
  evaluation: Evaluation;
  attackRunPages: PagesSeen;
  benignRunPages: PagesSeen | null;
  wallSeconds: number;
}): EvalSummary {
  const { evaluation } = input;
  const failures: string[] = [];
  for (const attack of evaluation.attacks) if (!attack.pass) failures.push(`${attack.name}: ${attack.why}`);
  if (evaluation.falseAlarms.length > targets.benignFlagged) {
    failures.push(`${evaluation.falseAlarms.length} benign clients flagged by client-level findings`);
  }
  if (input.benignRunPages === null) failures.push("benign-only run not made: pages not measured");
  else if (input.benignRunPages.pages > targets.benignPages) {
    failures.push(`${input.benignRunPages.pages} pages from the benign-only run`);
  }
  if (input.attackRunPages.unverified + (input.benignRunPages?.unverified ?? 0) > 0) {
    failures.push("webhooks whose signature did not verify");
  }
  return {
    seed: input.seed,
    mode: input.quick ? "quick" : "full",
    pass: failures.length === 0,
    failures,
    stream: input.stream,
    attacks: evaluation.attacks.map((attack) => ({
      name: attack.name,
      model: attack.modelId,
      queries: attack.queries,
      detected: attack.detected,
      queriesBeforeDetection: attack.queriesBeforeDetection,
      secondsFromBurst: attack.secondsFromBurst,
      pass: attack.pass,
      why: attack.why,
    })),
    benignClientsFlagged: evaluation.falseAlarms.length,
    falseAlarms: evaluation.falseAlarms,
    benignClientsWithEventLevelFindings: evaluation.eventLevelOnBenign.length,
    attackRunPages: input.attackRunPages,
    benignRunPages: input.benignRunPages,
    text: textSummary(evaluation.text),
    findings: evaluation.findings,
    wallSeconds: input.wallSeconds,
  };
}

function textSummary(text: TextScore): EvalSummary["text"] {
  const benign = text.events - text.attackEvents;
  return {
    recall: text.recall,
    precision: text.precision,
    categories: Object.fromEntries(
      text.categories
        .filter((category) => category.attack)
        .map((category) => [
          category.category,
          { events: category.events, recall: category.recall, precision: category.precision },
        ]),
    ),
    benignFalsePositiveRate: benign === 0 ? null : Math.round((text.flaggedBenign / benign) * 1000) / 1000,
  };
}

/** The human-readable result: one row per attack, then false alarms, pages and text scores. */
export function formatSummary(summary: EvalSummary, evaluation: Evaluation): string[] {
  const s = summary.stream;
  const lines = [
    `── Argus attack evaluation (${summary.mode}, seed ${summary.seed}) ──`,
    `stream: ${s.events} events over ${s.simulatedMinutes} simulated min; ${s.benignClients} benign clients, ` +
      `${s.attackers} attackers; ${s.partitions} partitions, ${s.detectorReplicas} anomaly-detector replicas`,
    `text: ${s.textEvents} prompts (${s.textAttackEvents} held-out attacks, ${s.distinctBenignPrompts} distinct held-out benign)`,
    "",
    `${pad("attack", 42)}${pad("model", 20)}${pad("queries", 9)}${pad("caught", 8)}${pad("first alert", 13)}result`,
  ];
  for (const attack of summary.attacks) {
    const at =
      attack.secondsFromBurst !== null
        ? `${attack.secondsFromBurst} s`
        : attack.queriesBeforeDetection === null
          ? "-"
          : `query ${attack.queriesBeforeDetection}`;
    lines.push(
      `${pad(attack.name, 42)}${pad(attack.model, 20)}${pad(String(attack.queries), 9)}` +
        `${pad(attack.detected ? "yes" : "no", 8)}${pad(at, 13)}${attack.pass ? "ok" : "FAIL"}  ${attack.why}`,
    );
  }
  lines.push("");
  lines.push(
    `benign clients flagged (client-level findings): ${summary.benignClientsFlagged}` +
      (summary.falseAlarms.length === 0
        ? ""
        : ` — ${summary.falseAlarms
            .slice(0, 8)
            .map((alarm) => `${alarm.clientId} (${kinds(alarm.kinds)})`)
            .join(", ")}${summary.falseAlarms.length > 8 ? ", …" : ""}`),
  );
  lines.push(
    `benign clients named by event-level findings only (not a target): ${summary.benignClientsWithEventLevelFindings}` +
      (evaluation.eventLevelOnBenign.length === 0
        ? ""
        : ` (${kinds(mergeKinds(evaluation.eventLevelOnBenign))})`),
  );
  lines.push(
    `pages: attack run ${summary.attackRunPages.pages} (${summary.attackRunPages.pagesNamingBenign} naming a benign client); ` +
      `benign-only run ${summary.benignRunPages === null ? "not run" : pagesLine(summary.benignRunPages)}`,
  );
  lines.push("");
  lines.push(
    `text (prompt-injection findings per event): recall ${fmt(summary.text.recall)}, precision ${fmt(summary.text.precision)}, ` +
      `benign false-positive rate ${fmt(summary.text.benignFalsePositiveRate)}`,
  );
  for (const category of evaluation.text.categories) {
    lines.push(
      `  ${pad(category.attack ? category.category : `(benign) ${category.category}`, 34)}` +
        `${pad(`${category.flagged}/${category.events}`, 11)}` +
        (category.attack
          ? `recall ${fmt(category.recall)}  precision ${fmt(category.precision)}`
          : `false-positive rate ${fmt(category.falsePositiveRate)}`),
    );
  }
  lines.push("");
  lines.push(
    summary.pass
      ? "every target holds"
      : `targets missed (${summary.failures.length}):\n  ${summary.failures.join("\n  ")}`,
  );
  return lines;
}

function pagesLine(pages: PagesSeen): string {
  const alerts = Object.entries(pages.alertKinds).map(([kind, count]) => `${kind}×${count}`);
  return alerts.length === 0 ? String(pages.pages) : `${pages.pages} (alerts: ${alerts.join(", ")})`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}

function fmt(value: number | null): string {
  return value === null ? "n/a" : value.toFixed(3);
}

function kinds(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([kind, count]) => `${short(kind)}×${count}`)
    .join(", ");
}

function mergeKinds(alarms: FalseAlarm[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const alarm of alarms)
    for (const [kind, count] of Object.entries(alarm.kinds)) merged[kind] = (merged[kind] ?? 0) + count;
  return merged;
}

/** What the replayed stream holds (printed with the results). */
export function streamFacts(scenario: Scenario, partitions: number, detectorReplicas: number): StreamFacts {
  const text = scenario.events.filter((event) => event.text !== undefined);
  const benignPrompts = new Set(
    text
      .filter((event) => event.text?.attack === false)
      .map((event) => (event.features.prompt as { text: string }).text),
  );
  return {
    events: scenario.events.length,
    benignClients: scenario.clients.length,
    attackers: scenario.attacks.length,
    textEvents: text.length,
    textAttackEvents: text.filter((event) => event.text?.attack).length,
    distinctBenignPrompts: benignPrompts.size,
    partitions,
    detectorReplicas,
    simulatedMinutes: scenario.settings.traffic.periodMs / 60_000,
  };
}
