// Homoglyph and mixed-script tricks: a word that mixes Latin with Cyrillic, Greek, Armenian or
// Cherokee look-alikes ("Раураl", "раѕѕwоrd"), or a word written entirely in look-alikes inside
// Latin text. Real Russian or Greek words are not flagged: a word is suspicious only when every
// non-Latin letter in it imitates a Latin one, and an all-look-alike word only when the text around
// it is Latin. Scientific Greek ("μm", "α-helix", "ΣF") is not a Latin look-alike and passes.

import { latinLookalike, letterScript } from "./confusables.js";
import { noisyOr, result, type ScanMatch, type ScanResult } from "./types.js";

export const MIXED_SCRIPT = "mixed-script";

/** Words whose disguise matters most: an attacker hides them from keyword filters. */
const SENSITIVE = new Set(
  `ignore instructions instruction system prompt password passwords admin administrator login account
  verify paypal apple google microsoft bank secret token reveal previous rules override jailbreak`.split(
    /\s+/,
  ),
);

const RE_WORD = /[\p{L}\p{M}]+/gu;

export function scanMixedScript(text: string): ScanResult {
  let latinLetters = 0;
  let otherLetters = 0;
  const candidates: { word: string; skeleton: string; mixed: boolean; offset: number }[] = [];
  RE_WORD.lastIndex = 0;
  for (let m = RE_WORD.exec(text); m !== null; m = RE_WORD.exec(text)) {
    const word = m[0];
    let hasLatin = false;
    let foreign = 0;
    let foreignLookalike = 0;
    let skeleton = "";
    for (const ch of word) {
      const script = letterScript(ch);
      const cp = ch.codePointAt(0) ?? 0;
      if (script === "latin") {
        hasLatin = true;
        latinLetters++;
        skeleton += ch;
      } else if (
        script === "cyrillic" ||
        script === "greek" ||
        script === "armenian" ||
        script === "cherokee"
      ) {
        foreign++;
        otherLetters++;
        const look = latinLookalike(cp);
        if (look) {
          foreignLookalike++;
          skeleton += look;
        } else skeleton += ch;
      } else if (/\p{M}/u.test(ch)) {
        // combining marks belong to the letter before
      } else {
        otherLetters++;
        skeleton += ch;
      }
    }
    if (foreign === 0) continue;
    if (hasLatin && foreignLookalike === foreign) {
      candidates.push({ word, skeleton: skeleton.toLowerCase(), mixed: true, offset: m.index });
    } else if (!hasLatin && foreignLookalike === foreign && word.length >= 3) {
      candidates.push({ word, skeleton: skeleton.toLowerCase(), mixed: false, offset: m.index });
    }
  }
  const latinContext = latinLetters > 0 && latinLetters >= 4 * otherLetters;
  const flagged = candidates.filter((c) => c.mixed || latinContext);
  const mixed = flagged.filter((c) => c.mixed).length;
  const whole = flagged.length - mixed;
  const sensitive = flagged.some((c) => SENSITIVE.has(c.skeleton));
  const mixedScore = mixed >= 3 ? 0.9 : mixed === 2 ? 0.75 : mixed === 1 ? 0.55 : 0;
  const wholeScore = whole >= 2 ? 0.6 : whole === 1 ? 0.4 : 0;
  const score = noisyOr([mixedScore, wholeScore, flagged.length > 0 && sensitive ? 0.4 : 0]);
  const matches: ScanMatch[] = flagged.map((c) => ({
    kind: c.mixed ? "mixed-script-word" : "lookalike-word",
    evidence: `"${c.skeleton}" written with ${c.mixed ? "mixed scripts" : "look-alike letters only"}`,
    offset: c.offset,
  }));
  return result(MIXED_SCRIPT, score, matches);
}
