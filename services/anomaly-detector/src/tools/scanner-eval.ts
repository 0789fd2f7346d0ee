// Runs the text-scanner pipeline over the checked-in corpora and prints detection and
// false-positive rates. Usage (from the repository root):
//   node_modules/.bin/tsx services/anomaly-detector/src/tools/scanner-eval.ts
// Always exits 0: it measures, the corpus unit test enforces.

import { join } from "node:path";
import { ATTACK_CORPUS, BENIGN_CORPUS, CORPORA_DIR, evaluate, loadCorpus } from "./text-corpus.js";

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
console.log(
  `\nsummary: detection ${pct(e.detectionRate)} (${detected}/${total}), false positives ${pct(e.falsePositiveRate)} ` +
    `(${e.falsePositives.length}/${benign.length}), benign blocked ${pct(e.benignBlockRate)}`,
);
