// Normalization for fuzzy phrase matching, code point by code point so that every normalized
// character remembers its offset in the source text:
// - Unicode tag characters (U+E0020..E007E, invisible "ASCII smuggling") are DECODED to the ASCII
//   they encode, so hidden instructions are read like visible ones;
// - other invisible and format characters (zero-width, bidi controls, variation selectors, soft
//   hyphen, Hangul fillers) become a soft separator `\u0001`: inside a word they vanish, between
//   words they separate;
// - compatibility forms are folded (NFKD: fullwidth, mathematical alphanumerics, ligatures) and
//   combining marks dropped (diacritics: "précédentes" → "precedentes");
// - homoglyphs of other scripts are mapped to the Latin letter they imitate (confusables.ts);
// - everything is lowercased.
// Linear in the input; non-ASCII code points are memoized in a small bounded cache.

import { latinLookalike } from "./confusables.js";

export const SOFT = "\u0001";

export interface Normalized {
  /** Normalized text. */
  text: string;
  /** For each UTF-16 index of `text`, the UTF-16 index in the source. */
  offsets: number[];
}

const RE_MARK = /\p{M}/u;
const CACHE_LIMIT = 4096;
const cache = new Map<number, string>();

/** True for characters that render as nothing (or only steer rendering) in running text. */
export function isInvisible(cp: number): boolean {
  return (
    cp === 0x00ad ||
    cp === 0x034f ||
    cp === 0x061c ||
    cp === 0x115f ||
    cp === 0x1160 ||
    cp === 0x17b4 ||
    cp === 0x17b5 ||
    cp === 0x180e ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x206f) ||
    cp === 0x3164 ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    cp === 0xfeff ||
    cp === 0xffa0 ||
    (cp >= 0xfff9 && cp <= 0xfffb) ||
    (cp >= 0x1d173 && cp <= 0x1d17a) ||
    (cp >= 0xe0000 && cp <= 0xe007f) ||
    (cp >= 0xe0100 && cp <= 0xe01ef)
  );
}

function foldCodePoint(cp: number): string {
  const cached = cache.get(cp);
  if (cached !== undefined) return cached;
  let out = "";
  const direct = latinLookalike(cp);
  if (direct !== undefined) {
    // Before NFKD: some look-alikes have compatibility decompositions of their own (ϲ → ς).
    out = direct.toLowerCase();
    if (cache.size < CACHE_LIMIT) cache.set(cp, out);
    return out;
  }
  const ch = String.fromCodePoint(cp);
  // Hangul syllables stay whole (NFKD would split them into jamo).
  const decomposed = cp >= 0xac00 && cp <= 0xd7a3 ? ch : ch.normalize("NFKD");
  for (const part of decomposed) {
    if (RE_MARK.test(part)) continue;
    const pcp = part.codePointAt(0) ?? 0;
    const mapped = latinLookalike(pcp) ?? part;
    for (const lower of mapped.toLowerCase()) if (!RE_MARK.test(lower)) out += lower;
  }
  if (cache.size < CACHE_LIMIT) cache.set(cp, out);
  return out;
}

export function normalizeForMatching(source: string): Normalized {
  let text = "";
  const offsets: number[] = [];
  let i = 0;
  let prevWasTag = false;
  while (i < source.length) {
    const cp = source.codePointAt(i) ?? 0;
    const width = cp > 0xffff ? 2 : 1;
    let out: string;
    if (cp < 0x80) {
      out = cp >= 0x41 && cp <= 0x5a ? String.fromCharCode(cp + 32) : String.fromCharCode(cp);
    } else if (cp >= 0xe0020 && cp <= 0xe007e) {
      out = String.fromCharCode(cp - 0xe0000).toLowerCase();
      // Hidden text starts a new word: "day!" + tags("ignore") must not read as "day!ignore".
      if (!prevWasTag) out = ` ${out}`;
    } else if (isInvisible(cp)) {
      out = SOFT;
    } else {
      out = foldCodePoint(cp);
    }
    prevWasTag = cp >= 0xe0000 && cp <= 0xe007f;
    for (let k = 0; k < out.length; k++) offsets.push(i);
    text += out;
    i += width;
  }
  return { text, offsets };
}

/** Normalizes a lexicon word exactly like text, without soft separators. */
export function normalizeWord(word: string): string {
  return normalizeForMatching(word)
    .text.split(SOFT)
    .join("")
    .replace(/[-_.'’]/g, "");
}
