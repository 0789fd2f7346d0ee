// A small curated homoglyph table: letters of other scripts (and a few Latin-extension letters) that
// render like a basic Latin letter in common fonts. Drawn from the Unicode confusables data
// (UTS #39) for Cyrillic, Greek, Armenian and Cherokee, limited to whole-letter look-alikes, so that
// legitimate Russian or Greek words are never "corrected" into English by accident of one letter.

const PAIRS: ReadonlyArray<readonly [string, string]> = [
  // Cyrillic
  ["а", "a"],
  ["в", "b"],
  ["е", "e"],
  ["ё", "e"],
  ["һ", "h"],
  ["і", "i"],
  ["ї", "i"],
  ["ј", "j"],
  ["к", "k"],
  ["ӏ", "l"],
  ["м", "m"],
  ["н", "h"],
  ["о", "o"],
  ["р", "p"],
  ["с", "c"],
  ["т", "t"],
  ["у", "y"],
  ["х", "x"],
  ["ѕ", "s"],
  ["ԁ", "d"],
  ["ԛ", "q"],
  ["ԝ", "w"],
  ["ү", "y"],
  ["ɡ", "g"],
  ["ԍ", "g"],
  ["ո", "n"],
  ["А", "A"],
  ["В", "B"],
  ["Е", "E"],
  ["Ѕ", "S"],
  ["І", "I"],
  ["Ј", "J"],
  ["К", "K"],
  ["М", "M"],
  ["Н", "H"],
  ["О", "O"],
  ["Р", "P"],
  ["С", "C"],
  ["Т", "T"],
  ["У", "Y"],
  ["Х", "X"],
  ["Ү", "Y"],
  ["Һ", "H"],
  ["Ԛ", "Q"],
  ["Ԝ", "W"],
  ["Ӏ", "I"],
  // Greek
  ["α", "a"],
  ["ε", "e"],
  ["ι", "i"],
  ["κ", "k"],
  ["ν", "v"],
  ["ο", "o"],
  ["ρ", "p"],
  ["τ", "t"],
  ["υ", "u"],
  ["χ", "x"],
  ["ϲ", "c"],
  ["ϳ", "j"],
  ["ϵ", "e"],
  ["Α", "A"],
  ["Β", "B"],
  ["Ε", "E"],
  ["Ζ", "Z"],
  ["Η", "H"],
  ["Ι", "I"],
  ["Κ", "K"],
  ["Μ", "M"],
  ["Ν", "N"],
  ["Ο", "O"],
  ["Ρ", "P"],
  ["Τ", "T"],
  ["Υ", "Y"],
  ["Χ", "X"],
  ["Ϲ", "C"],
  // Armenian
  ["օ", "o"],
  ["ս", "u"],
  ["հ", "h"],
  ["ց", "g"],
  ["զ", "q"],
  ["Օ", "O"],
  ["Ս", "U"],
  // Cherokee capitals
  ["Ꭺ", "A"],
  ["Ᏼ", "B"],
  ["Ꮯ", "C"],
  ["Ꭼ", "E"],
  ["Ꮋ", "H"],
  ["Ꭻ", "J"],
  ["Ꮶ", "K"],
  ["Ꮮ", "L"],
  ["Ꮇ", "M"],
  ["Ꮲ", "P"],
  ["Ꭱ", "R"],
  ["Ꮪ", "S"],
  ["Ꭲ", "T"],
  ["Ꮩ", "V"],
  ["Ꮃ", "W"],
  ["Ꮓ", "Z"],
  // Latin extensions that look like basic letters
  ["ı", "i"],
  ["ɩ", "i"],
  ["ɑ", "a"],
  ["ʏ", "y"],
  ["ȷ", "j"],
  ["ꮃ", "w"],
];

const MAP: ReadonlyMap<number, string> = new Map(PAIRS.map(([from, to]) => [from.codePointAt(0) ?? 0, to]));

/** The basic Latin letter that `codePoint` imitates, or undefined. */
export function latinLookalike(codePoint: number): string | undefined {
  return MAP.get(codePoint);
}

export type LetterScript = "latin" | "cyrillic" | "greek" | "armenian" | "cherokee" | "other";

const RE_LATIN = /\p{Script=Latin}/u;
const RE_CYRILLIC = /\p{Script=Cyrillic}/u;
const RE_GREEK = /\p{Script=Greek}/u;
const RE_ARMENIAN = /\p{Script=Armenian}/u;
const RE_CHEROKEE = /\p{Script=Cherokee}/u;

export function letterScript(ch: string): LetterScript {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x80) return /[A-Za-z]/.test(ch) ? "latin" : "other";
  if (RE_LATIN.test(ch)) return "latin";
  if (RE_CYRILLIC.test(ch)) return "cyrillic";
  if (RE_GREEK.test(ch)) return "greek";
  if (RE_ARMENIAN.test(ch)) return "armenian";
  if (RE_CHEROKEE.test(ch)) return "cherokee";
  return "other";
}
