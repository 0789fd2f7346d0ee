// Tokenizer and lexicon lookup for fuzzy phrase matching. Operates on normalizeForMatching() output.
//
// A token is a run of letters/digits (plus the leet symbols @ $ ! |). Inside a run, soft separators
// (- _ . ' * ~ ^ ` and invisible characters) may split a word ("ig-nore", "i.g.n.o.r.e") or join
// words ("ignore_all_previous"): the joined form is tried first, then the fragments, then a
// dictionary segmentation. Runs of single letters ("i g n o r e") are joined and segmented too.
// Each word is looked up exactly, then as leetspeak (1gn0r3), then with a bounded Damerau-Levenshtein
// distance (1 for words of 4-8 letters, 2 from 9) through a symmetric-delete index (SymSpell), so
// lookup costs O(deletes of the token), not O(lexicon).

import { DICTIONARY_NEIGHBOURS } from "./fuzzy-exclusions.js";
import { type Concept, conceptWords, EXPANSIONS, FUZZY_EXCLUDE, GLUE_WORDS } from "./injection-lexicon.js";
import { type Normalized, normalizeWord, SOFT } from "./normalize.js";

export interface Token {
  word: string;
  concepts: ReadonlySet<Concept>;
  /** True at a sentence boundary (. ! ? ; : newline); such tokens carry no word. */
  boundary: boolean;
  /** Matched only through leetspeak, typo tolerance or segmentation. */
  obfuscated: boolean;
  /** Source offsets (UTF-16) of the first and past-the-last character. */
  start: number;
  end: number;
}

const EMPTY: ReadonlySet<Concept> = new Set();

interface Lexicon {
  concepts: Map<string, Set<Concept>>;
  deletes: Map<string, string[]>;
  maxWordLength: number;
}

let lexicon: Lexicon | undefined;

function maxDistance(length: number): number {
  if (length >= 9) return 2;
  if (length >= 4) return 1;
  return 0;
}

function deletesOf(word: string, distance: number, out: Set<string>): void {
  let frontier = [word];
  for (let d = 0; d < distance; d++) {
    const next: string[] = [];
    for (const w of frontier) {
      for (let i = 0; i < w.length; i++) {
        const del = w.slice(0, i) + w.slice(i + 1);
        if (!out.has(del)) {
          out.add(del);
          next.push(del);
        }
      }
    }
    frontier = next;
  }
}

function buildLexicon(): Lexicon {
  const concepts = new Map<string, Set<Concept>>();
  const add = (raw: string, concept?: Concept) => {
    const w = normalizeWord(raw);
    if (w.length === 0) return;
    let set = concepts.get(w);
    if (!set) {
      set = new Set();
      concepts.set(w, set);
    }
    if (concept) set.add(concept);
  };
  for (const [concept, words] of conceptWords()) {
    for (const w of words) {
      add(w, concept);
      // "ignores all previous instructions" still matches the override rules, at a discount.
      if (concept === "WEAKFORM") add(w, "OVERRIDE");
    }
  }
  for (const w of GLUE_WORDS.split(/\s+/)) if (w) add(w);
  const deletes = new Map<string, string[]>();
  let maxWordLength = 0;
  for (const word of concepts.keys()) {
    maxWordLength = Math.max(maxWordLength, word.length);
    if (word.length < 5) continue; // short words only match exactly (or one typo when the token is 4 long)
    const dels = new Set<string>([word]);
    deletesOf(word, maxDistance(word.length), dels);
    for (const d of dels) {
      const list = deletes.get(d);
      if (list) list.push(word);
      else deletes.set(d, [word]);
    }
  }
  return { concepts, deletes, maxWordLength };
}

function getLexicon(): Lexicon {
  lexicon ??= buildLexicon();
  return lexicon;
}

/** Optimal string alignment distance, abandoned once it exceeds `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, (prev2[j - 2] ?? 0) + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n] ?? max + 1;
}

const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "1": "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "6": "g",
  "7": "t",
  "8": "b",
  "9": "g",
  "@": "a",
  $: "s",
  "!": "i",
  "|": "l",
  "+": "t",
};

function leetVariants(word: string): string[] {
  if (!/[a-z\p{L}]/u.test(word) || !/[0-9@$!|+]/.test(word)) return [];
  let asI = "";
  let asL = "";
  for (const c of word) {
    const m = LEET[c];
    asI += m ?? c;
    asL += c === "1" ? "l" : (m ?? c);
  }
  return asI === asL ? [asI] : [asI, asL];
}

const MAX_FUZZY_LENGTH = 24;

interface Lookup {
  word: string;
  concepts: ReadonlySet<Concept>;
  obfuscated: boolean;
}

/**
 * The lexicon word within the allowed edit distance of `word`, if any. Real words are never
 * "corrected" or split: FUZZY_EXCLUDE lists common words near lexicon words, DICTIONARY_NEIGHBOURS
 * the dictionary words that would otherwise match or split (src/tools/build-fuzzy-exclusions.ts).
 */
export function fuzzyMatch(word: string, options: { ignoreExclusions?: boolean } = {}): string | undefined {
  return fuzzy(word, getLexicon(), options.ignoreExclusions === true);
}

function fuzzy(word: string, lex: Lexicon, ignoreExclusions = false): string | undefined {
  const excluded = !ignoreExclusions && (FUZZY_EXCLUDE.has(word) || DICTIONARY_NEIGHBOURS.has(word));
  if (word.length < 4 || word.length > MAX_FUZZY_LENGTH || excluded || /[0-9]/.test(word)) {
    return undefined;
  }
  // Deletes one step deeper than the token's own length allows: "abov" (4) may still be "above" (5).
  const dist = maxDistance(word.length + 1);
  const dels = new Set<string>([word]);
  deletesOf(word, dist, dels);
  let best: string | undefined;
  let bestD = dist + 1;
  for (const d of dels) {
    const candidates = lex.deletes.get(d);
    if (!candidates) continue;
    for (const c of candidates) {
      const allowed = Math.min(maxDistance(Math.max(c.length, word.length)), maxDistance(c.length));
      const ed = editDistance(word, c, allowed);
      if (ed <= allowed && ed < bestD) {
        best = c;
        bestD = ed;
      }
    }
  }
  return best;
}

/** True when `word` is spelled exactly as a lexicon word. */
export function isLexiconWord(word: string): boolean {
  return getLexicon().concepts.has(word);
}

/**
 * Results of lookup() and segment() for recent words. The functions are pure, so this only saves
 * time; bounded (cleared when full) so memory stays constant.
 */
const LOOKUP_CACHE = new Map<string, Lookup | null>();
const SEGMENT_CACHE = new Map<string, Lookup[] | null>();
const CACHE_LIMIT = 20_000;

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/** Exact, then leetspeak, then fuzzy lookup. Memoized (per scan through `memo`, and in LOOKUP_CACHE). */
function lookup(word: string, memo: Map<string, Lookup | null>): Lookup | undefined {
  const cached = memo.get(word) ?? LOOKUP_CACHE.get(word);
  if (cached !== undefined) return cached ?? undefined;
  const lex = getLexicon();
  let found: Lookup | undefined;
  const exact = lex.concepts.get(word);
  if (exact) found = { word, concepts: exact, obfuscated: false };
  else {
    const variants = leetVariants(word);
    for (const v of variants) {
      const hit = lex.concepts.get(v);
      if (hit) {
        found = { word: v, concepts: hit, obfuscated: true };
        break;
      }
    }
    if (!found) {
      for (const v of variants.length > 0 ? variants : [word]) {
        const f = fuzzy(v, lex);
        if (f) {
          found = { word: f, concepts: lex.concepts.get(f) ?? EMPTY, obfuscated: true };
          break;
        }
      }
    }
  }
  memo.set(word, found ?? null);
  if (word.length <= MAX_FUZZY_LENGTH) remember(LOOKUP_CACHE, word, found ?? null);
  return found;
}

/** Segments run-together letters into lexicon words; undefined unless they cover >= 75 % of it. */
/** Two-letter words allowed in a segmentation (others, like "es" or "en", split real words into junk). */
const SHORT_SEGMENT_WORDS = new Set([
  "me",
  "to",
  "of",
  "is",
  "it",
  "be",
  "do",
  "as",
  "so",
  "if",
  "by",
  "on",
  "in",
  "no",
  "ai",
  "my",
  "we",
  "us",
  "an",
  "or",
  "at",
  "ur",
  "u",
]);

/** Lexicon words that `joined` splits into, if it is run-together text (see segment()). */
export function segmentWord(
  joined: string,
  options: { ignoreExclusions?: boolean } = {},
): string[] | undefined {
  return segment(joined, options.ignoreExclusions === true)?.map((l) => l.word);
}

function segment(joined: string, ignoreExclusions = false): Lookup[] | undefined {
  if (joined.length < 6 || joined.length > 80) return undefined;
  if (!ignoreExclusions && DICTIONARY_NEIGHBOURS.has(joined)) return undefined;
  if (ignoreExclusions) return segmentUncached(joined);
  const cached = SEGMENT_CACHE.get(joined);
  if (cached !== undefined) return cached ?? undefined;
  return remember(SEGMENT_CACHE, joined, segmentUncached(joined) ?? null) ?? undefined;
}

function segmentUncached(joined: string): Lookup[] | undefined {
  const lex = getLexicon();
  const n = joined.length;
  const cover = new Array<number>(n + 1).fill(-1);
  const back = new Array<number>(n + 1).fill(-1);
  const isWord = new Array<boolean>(n + 1).fill(false);
  cover[0] = 0;
  for (let i = 0; i < n; i++) {
    const base = cover[i] ?? -1;
    if (base < 0) continue;
    if (base > (cover[i + 1] ?? -1)) {
      cover[i + 1] = base;
      back[i + 1] = i;
      isWord[i + 1] = false;
    }
    for (let len = 2; len <= Math.min(lex.maxWordLength, n - i); len++) {
      const w = joined.slice(i, i + len);
      if (!lex.concepts.has(w) || (len < 3 && !SHORT_SEGMENT_WORDS.has(w))) continue;
      if (base + len > (cover[i + len] ?? -1)) {
        cover[i + len] = base + len;
        back[i + len] = i;
        isWord[i + len] = true;
      }
    }
  }
  if ((cover[n] ?? 0) < 0.85 * n) return undefined;
  const out: Lookup[] = [];
  let j = n;
  while (j > 0) {
    const i = back[j] ?? 0;
    if (isWord[j]) {
      const w = joined.slice(i, j);
      out.push({ word: w, concepts: lex.concepts.get(w) ?? EMPTY, obfuscated: true });
    }
    j = i;
  }
  out.reverse();
  // An ordinary long word may happen to split into lexicon words ("administer" = admin + ist):
  // only a segmentation that carries at least two concepts is taken as run-together words.
  if (out.filter((l) => l.concepts.size > 0).length < 2) return undefined;
  return out;
}

const RE_WORD_CHAR = /[\p{L}\p{N}]/u;
const LEET_SYMBOLS = "@$!|+";
const SOFT_CHARS = `-_.'’*~^\`${SOFT}`;
const BOUNDARY_CHARS = ".!?;:\n。！？；：";

interface RawToken {
  fragments: string[];
  start: number;
  end: number;
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && (RE_WORD_CHAR.test(c) || LEET_SYMBOLS.includes(c));
}

/** Splits normalized text into raw tokens (with fragments) and boundaries. */
function rawTokens(n: Normalized): (RawToken | "boundary")[] {
  const out: (RawToken | "boundary")[] = [];
  const t = n.text;
  const chars = Array.from(t);
  // Work on code points but keep UTF-16 positions for the offset map.
  let pos = 0;
  let cur: RawToken | undefined;
  let frag = "";
  const flush = () => {
    if (cur) {
      if (frag) cur.fragments.push(frag);
      // Leet symbols at the edges are punctuation ("now!"), not letters.
      const first = cur.fragments[0];
      if (first !== undefined) cur.fragments[0] = first.replace(/^[!|+]+/, "");
      const lastIdx = cur.fragments.length - 1;
      const last = cur.fragments[lastIdx];
      if (last !== undefined) cur.fragments[lastIdx] = last.replace(/[!|+$]+$/, "");
      cur.fragments = cur.fragments.filter((f) => f.length > 0);
      if (cur.fragments.length > 0) out.push(cur);
    }
    cur = undefined;
    frag = "";
  };
  for (let k = 0; k < chars.length; k++) {
    const c = chars[k] ?? "";
    const srcPos = n.offsets[pos] ?? 0;
    if (isWordChar(c) && (RE_WORD_CHAR.test(c) || cur || isWordChar(chars[k + 1]))) {
      if (!cur) cur = { fragments: [], start: srcPos, end: srcPos + 1 };
      frag += c;
      cur.end = srcPos + c.length;
    } else if (cur && SOFT_CHARS.includes(c) && isWordChar(chars[k + 1])) {
      if (frag) cur.fragments.push(frag);
      frag = "";
    } else if (c === SOFT) {
      // invisible character outside a word: ignore
    } else {
      flush();
      if (BOUNDARY_CHARS.includes(c)) out.push("boundary");
    }
    pos += c.length;
  }
  flush();
  return out;
}

function tokenFrom(l: Lookup, start: number, end: number): Token {
  return { word: l.word, concepts: l.concepts, boundary: false, obfuscated: l.obfuscated, start, end };
}

function unknown(word: string, start: number, end: number): Token {
  return { word, concepts: EMPTY, boundary: false, obfuscated: false, start, end };
}

function resolveWord(word: string, start: number, end: number, memo: Map<string, Lookup | null>): Token[] {
  const expansion = EXPANSIONS.get(word);
  if (expansion) {
    const lex = getLexicon();
    return expansion.map((w) =>
      tokenFrom({ word: w, concepts: lex.concepts.get(w) ?? EMPTY, obfuscated: false }, start, end),
    );
  }
  const hit = lookup(word, memo);
  if (hit) return [tokenFrom(hit, start, end)];
  if (word.length >= 9) {
    const seg = segment(word);
    if (seg) return seg.map((l) => tokenFrom(l, start, end));
  }
  return [unknown(word, start, end)];
}

/** Tokens with their concepts, boundaries included. */
export function tokenize(n: Normalized): Token[] {
  const memo = new Map<string, Lookup | null>();
  const raw = rawTokens(n);
  const out: Token[] = [];
  const boundary = (at: number): Token => ({
    word: "",
    concepts: EMPTY,
    boundary: true,
    obfuscated: false,
    start: at,
    end: at,
  });
  let i = 0;
  while (i < raw.length) {
    const r = raw[i];
    if (r === undefined) break;
    if (r === "boundary") {
      out.push(boundary(out.at(-1)?.end ?? 0));
      i++;
      continue;
    }
    // A run of >= 4 single-character tokens: "i g n o r e".
    let j = i;
    while (j < raw.length) {
      const rj = raw[j];
      if (
        rj === undefined ||
        rj === "boundary" ||
        rj.fragments.length !== 1 ||
        (rj.fragments[0]?.length ?? 0) !== 1
      )
        break;
      j++;
    }
    if (j - i >= 4) {
      const run = raw.slice(i, j) as RawToken[];
      const joined = run.map((t) => t.fragments[0]).join("");
      const start = run[0]?.start ?? 0;
      const end = run.at(-1)?.end ?? start;
      const seg = segment(joined);
      if (seg) out.push(...seg.map((l) => tokenFrom(l, start, end)));
      else out.push(...run.map((t) => unknown(t.fragments[0] ?? "", t.start, t.end)));
      i = j;
      continue;
    }
    const joined = r.fragments.join("");
    if (r.fragments.length === 1) {
      out.push(...resolveWord(joined, r.start, r.end, memo));
    } else {
      const hit = EXPANSIONS.has(joined) ? undefined : lookup(joined, memo);
      if (hit) out.push(tokenFrom(hit, r.start, r.end));
      else if (EXPANSIONS.has(joined)) out.push(...resolveWord(joined, r.start, r.end, memo));
      else if (r.fragments.every((f) => f.length <= 2)) {
        const seg = segment(joined);
        out.push(...(seg ? seg.map((l) => tokenFrom(l, r.start, r.end)) : [unknown(joined, r.start, r.end)]));
      } else {
        for (const f of r.fragments) out.push(...resolveWord(f, r.start, r.end, memo));
      }
    }
    i++;
  }
  return out;
}
