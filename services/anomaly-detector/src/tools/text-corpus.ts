// Loading the text-scanner corpora and measuring the pipeline on them. Shared by the
// scanner-eval command and the corpus unit test.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type PipelineResult, scanInput, scanOutput } from "../domain/text/index.js";

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
