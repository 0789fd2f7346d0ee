// The acceptance bar of the text scanners on the checked-in corpora (docs/text-scanners.md):
// false positives on the benign corpus at most 2 %, detection on the attack corpus at least 90 %.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scanInput, scanOutput } from "../../src/domain/text/index.js";
import {
  ATTACK_CORPUS,
  BENIGN_CORPUS,
  CORPORA_DIR,
  type CorpusEntry,
  evaluate,
  loadCorpus,
} from "../../src/tools/text-corpus.js";

const benign = loadCorpus(BENIGN_CORPUS);
const attacks = loadCorpus(ATTACK_CORPUS);

describe("corpora", () => {
  it("are large enough and correctly labelled", () => {
    expect(benign.length).toBeGreaterThanOrEqual(300);
    expect(attacks.length).toBeGreaterThanOrEqual(200);
    expect(benign.every((e) => e.label === "benign")).toBe(true);
    expect(new Set(attacks.map((e) => e.label))).toEqual(
      new Set(["injection", "secret", "pii", "sqli", "smuggling", "unicode"]),
    );
  });

  it("meet the bar: FPR <= 2 % on benign texts, detection >= 90 % on attacks", () => {
    const e = evaluate(benign, attacks);
    expect(e.falsePositiveRate).toBeLessThanOrEqual(0.02);
    expect(e.detectionRate).toBeGreaterThanOrEqual(0.9);
    for (const l of e.perLabel) expect(l.flagged / l.n, l.label).toBeGreaterThanOrEqual(0.8);
  });

  it("meet the bar on the smaller held-out corpora too", () => {
    const e = evaluate(
      loadCorpus(join(CORPORA_DIR, "text-benign-holdout.jsonl")),
      loadCorpus(join(CORPORA_DIR, "text-attacks-holdout.jsonl")),
    );
    expect(e.falsePositiveRate).toBeLessThanOrEqual(0.02);
    expect(e.detectionRate).toBeGreaterThanOrEqual(0.9);
  });

  it("never put a secret or personal value whole into evidence", () => {
    const leaks: CorpusEntry[] = attacks.filter((e) => e.label === "secret" || e.label === "pii");
    for (const e of leaks) {
      // Every long run of key or number characters in the text is a candidate value.
      const values = [...e.text.matchAll(/[A-Za-z0-9_+/=.#!&@-]{10,}/g)]
        .map((m) => m[0])
        .filter((v) => /\d/.test(v) && /[A-Za-z]/.test(v));
      const digits = [...e.text.matchAll(/(?:\d[ -]?){9,}\d/g)].map((m) => m[0].replace(/\D/g, ""));
      for (const result of [scanInput(e.text), scanOutput(e.text)]) {
        for (const r of result.results) {
          for (const m of r.matches) {
            for (const v of values) expect(m.evidence, e.text).not.toContain(v);
            for (const d of digits) expect(m.evidence.replace(/\D/g, ""), e.text).not.toContain(d);
          }
        }
      }
    }
  });
});
