// Runs the text-scanner pipeline over the checked-in corpora and prints detection and
// false-positive rates. Usage (from the repository root):
//   node_modules/.bin/tsx services/anomaly-detector/src/tools/scanner-eval.ts
//   ... scanner-eval.ts --show-heldout-misses   also lists the held-out misses and false alarms
// Always exits 0: it measures, the corpus unit test enforces.
//
// The held-out texts are not listed by default: tuning is done on the tuning corpora's misses
// only, and reading held-out misses while tuning would quietly turn them into tuning data.

import { join } from "node:path";
import {
  ATTACK_CORPUS,
  BENIGN_CORPUS,
  type CategorizedEntry,
  CORPORA_DIR,
  evaluate,
  evaluateInjection,
  HELDOUT_ATTACKS,
  HELDOUT_BENIGN,
  loadCategorized,
  loadCorpus,
  loadTuningSets,
} from "./text-corpus.js";

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const pad = (s: string | number, n: number) => String(s).padEnd(n);
const lpad = (s: string | number, n: number) => String(s).padStart(n);
const oneLine = (s: string, n = 90) => {
  const t = JSON.stringify(s).slice(1, -1);
  return t.length > n ? `${t.slice(0, n)}…` : t;
};

const benign = loadCorpus(BENIGN_CORPUS);
const attacks = loadCorpus(ATTACK_CORPUS);
const started = performance.now();
const e = evaluate(benign, attacks);
const elapsed = performance.now() - started;

console.log("Text scanner evaluation: scanInput with default configuration");
console.log(`corpora: ${benign.length} benign, ${attacks.length} attack texts\n`);

console.log("Detection on the attack corpus (verdict flag or block)");
console.log(
  `${pad("label", 11)}${lpad("n", 5)}${lpad("detected", 10)}${lpad("rate", 9)}${lpad("blocked", 9)}`,
);
let total = 0;
let detected = 0;
let blocked = 0;
for (const l of e.perLabel) {
  console.log(
    `${pad(l.label, 11)}${lpad(l.n, 5)}${lpad(l.flagged, 10)}${lpad(pct(l.flagged / l.n), 9)}${lpad(l.blocked, 9)}`,
  );
  total += l.n;
  detected += l.flagged;
  blocked += l.blocked;
}
console.log(
  `${pad("all", 11)}${lpad(total, 5)}${lpad(detected, 10)}${lpad(pct(detected / total), 9)}${lpad(blocked, 9)}`,
);

console.log(`\nMissed attacks (${e.missed.length}):`);
for (const s of e.missed)
  console.log(
    `  [${s.entry.label}/${s.entry.note ?? ""}] score ${s.result.score.toFixed(2)}  ${oneLine(s.entry.text)}`,
  );

const fpBlocked = e.falsePositives.filter((s) => s.result.verdict === "block").length;
console.log(
  `\nFalse positives on the benign corpus: ${e.falsePositives.length}/${benign.length} = ${pct(e.falsePositiveRate)} ` +
    `(${e.falsePositives.length - fpBlocked} flagged, ${fpBlocked} blocked)`,
);
for (const s of e.falsePositives) {
  const why = s.result.reasons.map((r) => `${r.scanner} ${r.weighted.toFixed(2)}`).join(", ");
  console.log(`  [${s.result.verdict}] ${why}  ${oneLine(s.entry.text)}`);
}

console.log("\nPer scanner: texts on which it voted flag or block");
console.log(`${pad("scanner", 20)}${lpad("attacks", 9)}${lpad("benign", 8)}`);
for (const s of e.perScanner)
  console.log(`${pad(s.scanner, 20)}${lpad(s.attackHits, 9)}${lpad(s.benignHits, 8)}`);

const o = e.output;
console.log(
  `\nscanOutput (secrets, PII, markup): detects ${o.leakDetected}/${o.leakN} secret/pii/smuggling texts ` +
    `(${pct(o.leakDetected / Math.max(1, o.leakN))}), flags ${o.benignFlagged}/${o.benignN} benign texts ` +
    `(${pct(o.benignFlagged / Math.max(1, o.benignN))})`,
);
const hb = loadCorpus(join(CORPORA_DIR, "text-benign-holdout.jsonl"));
const ha = loadCorpus(join(CORPORA_DIR, "text-attacks-holdout.jsonl"));
const h = evaluate(hb, ha);
console.log(
  `\nheld-out corpora (written after the first tuning; first run was 43/52 detected, 1/78 false positives): ` +
    `detection ${pct(h.detectionRate)} (${ha.length - h.missed.length}/${ha.length}), ` +
    `false positives ${pct(h.falsePositiveRate)} (${h.falsePositives.length}/${hb.length})`,
);
for (const s of h.missed) console.log(`  missed [${s.entry.label}] ${oneLine(s.entry.text)}`);
for (const s of h.falsePositives)
  console.log(`  false positive [${s.result.verdict}] ${oneLine(s.entry.text)}`);
const n = benign.length + attacks.length;
console.log(
  `time: ${n} texts in ${elapsed.toFixed(0)} ms (${((1000 * elapsed) / n).toFixed(0)} µs per text, both pipelines)`,
);
function injectionReport(
  title: string,
  attacks: CategorizedEntry[],
  benignTexts: CategorizedEntry[],
  showErrors: boolean,
) {
  const r = evaluateInjection(attacks, benignTexts);
  console.log(`\n=== ${title}: prompt-injection findings (scanInput → findingKind) ===`);
  console.log(`${pad("attack category", 28)}${lpad("n", 5)}${lpad("caught", 8)}${lpad("recall", 9)}`);
  for (const c of r.attacks)
    console.log(`${pad(c.category, 28)}${lpad(c.n, 5)}${lpad(c.hits, 8)}${lpad(pct(c.hits / c.n), 9)}`);
  console.log(`${pad("benign category", 28)}${lpad("n", 5)}${lpad("FP", 8)}${lpad("FP rate", 9)}`);
  for (const c of r.benign)
    console.log(`${pad(c.category, 28)}${lpad(c.n, 5)}${lpad(c.hits, 8)}${lpad(pct(c.hits / c.n), 9)}`);
  console.log(
    `${title}: precision ${r.precision.toFixed(3)} recall ${r.recall.toFixed(3)} ` +
      `(TP ${r.truePositives}, FP ${r.falsePositives}, FN ${r.falseNegatives}); ` +
      `${r.benignLeakage} benign texts reported as data leakage (PII in requests, not counted); ` +
      `${r.microsPerKB.toFixed(0)} µs/KB`,
  );
  if (showErrors) {
    for (const e of r.missed) console.log(`  missed [${e.category}] ${oneLine(e.text, 140)}`);
    for (const f of r.falseAlarms) {
      const why = f.result.reasons.map((x) => `${x.scanner} ${x.weighted.toFixed(2)}`).join(", ");
      console.log(`  false alarm [${f.entry.category}] ${why}  ${oneLine(f.entry.text, 120)}`);
    }
  }
  return r;
}

const tuning = loadTuningSets();
const t = injectionReport("tuning", tuning.attacks, tuning.benign, true);
const ho = injectionReport(
  "held-out",
  loadCategorized(HELDOUT_ATTACKS),
  loadCategorized(HELDOUT_BENIGN),
  process.argv.includes("--show-heldout-misses"),
);

console.log(
  `\nsummary: detection ${pct(e.detectionRate)} (${detected}/${total}), false positives ${pct(e.falsePositiveRate)} ` +
    `(${e.falsePositives.length}/${benign.length}), benign blocked ${pct(e.benignBlockRate)}`,
);
console.log(
  `injection: tuning precision ${t.precision.toFixed(3)} recall ${t.recall.toFixed(3)}; ` +
    `held-out precision ${ho.precision.toFixed(3)} recall ${ho.recall.toFixed(3)}; ` +
    `${ho.microsPerKB.toFixed(0)} µs/KB on the held-out set`,
);
