// Loading the text-scanner corpora and measuring the pipeline on them. Shared by the
// scanner-eval command and the corpus unit test.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findingKind, type PipelineResult, scanInput, scanOutput } from "../domain/text/index.js";

export const CORPUS_LABELS = [
  "benign",
  "injection",
  "secret",
  "pii",
  "sqli",
  "smuggling",
  "unicode",
] as const;
export type CorpusLabel = (typeof CORPUS_LABELS)[number];

export interface CorpusEntry {
  text: string;
  label: CorpusLabel;
  note?: string;
}

export const CORPORA_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "corpora");
export const BENIGN_CORPUS = join(CORPORA_DIR, "text-benign.jsonl");
export const ATTACK_CORPUS = join(CORPORA_DIR, "text-attacks.jsonl");

export function loadCorpus(path: string): CorpusEntry[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const out: CorpusEntry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const row = JSON.parse(line) as Partial<CorpusEntry>;
    if (typeof row.text !== "string" || !CORPUS_LABELS.includes(row.label as CorpusLabel)) {
      throw new Error(
        `${path}:${i + 1}: expected {"text": string, "label": one of ${CORPUS_LABELS.join("|")}}`,
      );
    }
    out.push({ text: row.text, label: row.label as CorpusLabel, ...(row.note ? { note: row.note } : {}) });
  });
  return out;
}

export interface Scored {
  entry: CorpusEntry;
  result: PipelineResult;
}

export interface LabelStats {
  label: string;
  n: number;
  flagged: number;
  blocked: number;
}

export interface Evaluation {
  benign: Scored[];
  attacks: Scored[];
  falsePositives: Scored[];
  missed: Scored[];
  perLabel: LabelStats[];
  /** Per scanner: how many attack and benign texts it voted flag or block on. */
  perScanner: { scanner: string; attackHits: number; benignHits: number }[];
  detectionRate: number;
  falsePositiveRate: number;
  benignBlockRate: number;
  /** Output pipeline (secrets, PII, markup) on benign texts and on leak-type attacks. */
  output: { leakN: number; leakDetected: number; benignN: number; benignFlagged: number };
}

const OUTPUT_LABELS: ReadonlySet<CorpusLabel> = new Set(["secret", "pii", "smuggling"]);

export function evaluate(benign: readonly CorpusEntry[], attacks: readonly CorpusEntry[]): Evaluation {
  const score = (entry: CorpusEntry): Scored => ({ entry, result: scanInput(entry.text) });
  const b = benign.map(score);
  const a = attacks.map(score);
  const hit = (s: Scored) => s.result.verdict !== "allow";
  const perLabel: LabelStats[] = [];
  for (const label of CORPUS_LABELS) {
    if (label === "benign") continue;
    const rows = a.filter((s) => s.entry.label === label);
    if (rows.length === 0) continue;
    perLabel.push({
      label,
      n: rows.length,
      flagged: rows.filter(hit).length,
      blocked: rows.filter((s) => s.result.verdict === "block").length,
    });
  }
  const scanners = new Map<string, { attackHits: number; benignHits: number }>();
  const count = (rows: Scored[], field: "attackHits" | "benignHits") => {
    for (const s of rows) {
      for (const r of s.result.reasons) {
        const e = scanners.get(r.scanner) ?? { attackHits: 0, benignHits: 0 };
        e[field]++;
        scanners.set(r.scanner, e);
      }
    }
  };
  count(a, "attackHits");
  count(b, "benignHits");
  const leaks = attacks.filter((e) => OUTPUT_LABELS.has(e.label));
  return {
    benign: b,
    attacks: a,
    falsePositives: b.filter(hit),
    missed: a.filter((s) => !hit(s)),
    perLabel,
    perScanner: [...scanners.entries()]
      .map(([scanner, v]) => ({ scanner, ...v }))
      .sort((x, y) => x.scanner.localeCompare(y.scanner)),
    detectionRate: a.filter(hit).length / Math.max(1, a.length),
    falsePositiveRate: b.filter(hit).length / Math.max(1, b.length),
    benignBlockRate: b.filter((s) => s.result.verdict === "block").length / Math.max(1, b.length),
    output: {
      leakN: leaks.length,
      leakDetected: leaks.filter((e) => scanOutput(e.text).verdict !== "allow").length,
      benignN: benign.length,
      benignFlagged: benign.filter((e) => scanOutput(e.text).verdict !== "allow").length,
    },
  };
}

// ---------------------------------------------------------------- injection precision / recall
// Measured the way users see it: an attack counts as caught when scanInput yields a
// prompt_injection finding (findingKind), a benign text is a false positive when it does.

/** Held-out corpora (written by build-heldout-corpus.ts before tuning; never tuned on). */
export const HELDOUT_ATTACKS = join(CORPORA_DIR, "heldout-attacks.jsonl");
export const HELDOUT_BENIGN = join(CORPORA_DIR, "heldout-benign.jsonl");

export interface CategorizedEntry {
  text: string;
  category: string;
}

/** Reads a {"text", "category"} JSONL file. */
export function loadCategorized(path: string): CategorizedEntry[] {
  const out: CategorizedEntry[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      const row = JSON.parse(line) as Partial<CategorizedEntry>;
      if (typeof row.text !== "string" || typeof row.category !== "string" || row.category === "") {
        throw new Error(`${path}:${i + 1}: expected {"text": string, "category": non-empty string}`);
      }
      out.push({ text: row.text, category: row.category });
    });
  return out;
}

/** Attack labels of the tuning corpora that are injections (secret and pii are leakage). */
const INJECTION_LABELS: ReadonlySet<CorpusLabel> = new Set(["injection", "sqli", "smuggling", "unicode"]);

/** The tuning corpora (main and the older small hold-out, both tuned on) as categorized sets. */
export function loadTuningSets(): { attacks: CategorizedEntry[]; benign: CategorizedEntry[] } {
  const attacks = [ATTACK_CORPUS, join(CORPORA_DIR, "text-attacks-holdout.jsonl")]
    .flatMap(loadCorpus)
    .filter((e) => INJECTION_LABELS.has(e.label))
    .map((e) => ({ text: e.text, category: e.label }));
  const benign = [BENIGN_CORPUS, join(CORPORA_DIR, "text-benign-holdout.jsonl")]
    .flatMap(loadCorpus)
    .filter((e) => e.label === "benign")
    .map((e) => ({ text: e.text, category: e.note ?? "benign" }));
  return { attacks, benign };
}

export interface CategoryStats {
  category: string;
  n: number;
  /** Attacks: caught as prompt injection. Benign: wrongly reported as prompt injection. */
  hits: number;
}

export interface InjectionEvaluation {
  attacks: CategoryStats[];
  benign: CategoryStats[];
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  missed: CategorizedEntry[];
  falseAlarms: { entry: CategorizedEntry; result: PipelineResult }[];
  /** Benign texts reported as data leakage (PII in an ordinary request): not injection errors. */
  benignLeakage: number;
  /** scanInput cost over all texts, microseconds per KB (UTF-16 units / 1024). */
  microsPerKB: number;
}

function byCategory(rows: { entry: CategorizedEntry; hit: boolean }[]): CategoryStats[] {
  const m = new Map<string, CategoryStats>();
  for (const r of rows) {
    const s = m.get(r.entry.category) ?? { category: r.entry.category, n: 0, hits: 0 };
    s.n++;
    if (r.hit) s.hits++;
    m.set(r.entry.category, s);
  }
  return [...m.values()];
}

export function evaluateInjection(
  attacks: readonly CategorizedEntry[],
  benign: readonly CategorizedEntry[],
): InjectionEvaluation {
  let chars = 0;
  const started = performance.now();
  const run = (entry: CategorizedEntry) => {
    chars += entry.text.length;
    const result = scanInput(entry.text);
    return { entry, result, kind: findingKind(result, "input") };
  };
  const a = attacks.map(run);
  const b = benign.map(run);
  const elapsedMs = performance.now() - started;
  const caught = a.filter((r) => r.kind === "prompt_injection");
  const wrong = b.filter((r) => r.kind === "prompt_injection");
  const tp = caught.length;
  const fp = wrong.length;
  return {
    attacks: byCategory(a.map((r) => ({ entry: r.entry, hit: r.kind === "prompt_injection" }))),
    benign: byCategory(b.map((r) => ({ entry: r.entry, hit: r.kind === "prompt_injection" }))),
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: a.length - tp,
    precision: tp + fp === 0 ? 1 : tp / (tp + fp),
    recall: a.length === 0 ? 1 : tp / a.length,
    missed: a.filter((r) => r.kind !== "prompt_injection").map((r) => r.entry),
    falseAlarms: wrong.map((r) => ({ entry: r.entry, result: r.result })),
    benignLeakage: b.filter((r) => r.kind === "data_leakage").length,
    microsPerKB: (1000 * elapsedMs) / Math.max(1, chars / 1024),
  };
}
