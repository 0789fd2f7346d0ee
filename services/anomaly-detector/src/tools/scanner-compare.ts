// Compares the prompt-injection findings of an earlier version of the text scanners with the
// current one on today's corpora, per attack and benign category, and their cost per KB. Usage
// (from the repository root), for the version of commit <rev>:
//   git archive <rev> services/anomaly-detector/src/domain/text | tar -x -C /tmp/scanners-before
//   node_modules/.bin/tsx services/anomaly-detector/src/tools/scanner-compare.ts /tmp/scanners-before
// Prints markdown tables (docs/text-scanners.md quotes them). Measures; never fails.

import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as current from "../domain/text/index.js";
import {
  type CategorizedEntry,
  HELDOUT_ATTACKS,
  HELDOUT_BENIGN,
  loadCategorized,
  loadTuningSets,
} from "./text-corpus.js";

type Scanners = Pick<typeof current, "scanInput" | "findingKind">;

interface Measured {
  attacks: Map<string, { n: number; hits: number }>;
  benign: Map<string, { n: number; hits: number }>;
  truePositives: number;
  falsePositives: number;
  precision: number;
  recall: number;
}

function measure(scanners: Scanners, attacks: CategorizedEntry[], benign: CategorizedEntry[]): Measured {
  const isInjection = (text: string) =>
    scanners.findingKind(scanners.scanInput(text), "input") === "prompt_injection";
  const count = (rows: CategorizedEntry[]) => {
    const out = new Map<string, { n: number; hits: number }>();
    let hits = 0;
    for (const row of rows) {
      const stats = out.get(row.category) ?? { n: 0, hits: 0 };
      stats.n++;
      if (isInjection(row.text)) {
        stats.hits++;
        hits++;
      }
      out.set(row.category, stats);
    }
    return { out, hits };
  };
  const a = count(attacks);
  const b = count(benign);
  return {
    attacks: a.out,
    benign: b.out,
    truePositives: a.hits,
    falsePositives: b.hits,
    precision: a.hits / Math.max(1, a.hits + b.hits),
    recall: a.hits / Math.max(1, attacks.length),
  };
}

/** Fastest of `runs` passes over the texts, in microseconds per KB (1 024 UTF-16 units). */
function microsPerKB(scanners: Scanners, texts: string[], runs = 5): number {
  const kb = texts.reduce((sum, t) => sum + t.length, 0) / 1024;
  for (const t of texts) scanners.scanInput(t); // warm caches and the JIT
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    for (const t of texts) scanners.scanInput(t);
    best = Math.min(best, (1000 * (performance.now() - started)) / kb);
  }
  return best;
}

const pct = (hits: number, n: number) => `${hits} (${((100 * hits) / Math.max(1, n)).toFixed(1)} %)`;

function report(title: string, before: Measured, after: Measured): void {
  const summary = (m: Measured) =>
    `precision ${m.precision.toFixed(3)}, recall ${m.recall.toFixed(3)} (TP ${m.truePositives}, FP ${m.falsePositives})`;
  console.log(`\n${title}: before ${summary(before)}; after ${summary(after)}\n`);
  console.log("| attack category | n | caught before | caught after |\n| --- | --: | --: | --: |");
  for (const [category, { n, hits }] of after.attacks)
    console.log(
      `| ${category} | ${n} | ${pct(before.attacks.get(category)?.hits ?? 0, n)} | ${pct(hits, n)} |`,
    );
  console.log(
    "\n| benign category | n | false alarms before | false alarms after |\n| --- | --: | --: | --: |",
  );
  for (const [category, { n, hits }] of after.benign)
    console.log(`| ${category} | ${n} | ${before.benign.get(category)?.hits ?? 0} | ${hits} |`);
}

const dir = process.argv[2];
if (!dir) {
  console.error("usage: scanner-compare.ts <directory holding services/anomaly-detector/src/domain/text>");
  process.exit(2);
}
const earlier = (await import(
  pathToFileURL(join(resolve(dir), "services/anomaly-detector/src/domain/text/index.ts")).href
)) as Scanners;

const tuning = loadTuningSets();
const heldout = { attacks: loadCategorized(HELDOUT_ATTACKS), benign: loadCategorized(HELDOUT_BENIGN) };
report(
  "tuning",
  measure(earlier, tuning.attacks, tuning.benign),
  measure(current, tuning.attacks, tuning.benign),
);
report(
  "held-out",
  measure(earlier, heldout.attacks, heldout.benign),
  measure(current, heldout.attacks, heldout.benign),
);
const texts = [...heldout.attacks, ...heldout.benign].map((e) => e.text);
const kb = texts.reduce((sum, t) => sum + t.length, 0) / 1024;
console.log(
  `\nscanInput cost on the ${kb.toFixed(0)} KB held-out texts (fastest of 5 passes): ` +
    `before ${microsPerKB(earlier, texts).toFixed(0)} µs/KB, after ${microsPerKB(current, texts).toFixed(0)} µs/KB`,
);
