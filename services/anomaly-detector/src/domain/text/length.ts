// Length and token limits. Tokens are approximated without a tokenizer: a run of Latin letters or
// digits costs ceil(length / 4) tokens, other alphabetic scripts ceil(length / 2), each CJK or Kana
// character one, each emoji two, each other symbol one (within ±25 % of BPE tokenizers on English
// prose). Over a limit the score is 0.6 at the limit, 0.78 at twice it and 0.95 at four times it.

import { result, type ScanResult } from "./types.js";

export const LENGTH = "length";

export interface LengthOptions {
  /** Default 24 000 characters (code points). */
  maxChars?: number;
  /** Default 6 000 approximate tokens. */
  maxTokens?: number;
}

const RE_LATIN_RUN = /[A-Za-z0-9\u00c0-\u024f]+/y;
const RE_CJK = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]/u;
const RE_LETTER = /[\p{L}\p{N}]/u;
const RE_PICTO = /\p{Extended_Pictographic}/u;

export function approximateTokens(text: string): number {
  let tokens = 0;
  let i = 0;
  while (i < text.length) {
    RE_LATIN_RUN.lastIndex = i;
    const m = RE_LATIN_RUN.exec(text);
    if (m) {
      tokens += Math.ceil(m[0].length / 4);
      i += m[0].length;
      continue;
    }
    const cp = text.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    const width = cp > 0xffff ? 2 : 1;
    if (ch === " " || ch === "\n" || ch === "\t" || ch === "\r") {
      i += width;
      continue;
    }
    if (RE_CJK.test(ch)) tokens += 1;
    else if (RE_PICTO.test(ch)) tokens += 2;
    else if (RE_LETTER.test(ch)) {
      let j = i;
      let run = 0;
      while (j < text.length) {
        const c = String.fromCodePoint(text.codePointAt(j) ?? 0);
        if (!RE_LETTER.test(c) || RE_CJK.test(c) || /[A-Za-z0-9]/.test(c)) break;
        run++;
        j += c.length;
      }
      tokens += Math.ceil(run / 2);
      i = j;
      continue;
    } else tokens += 1;
    i += width;
  }
  return tokens;
}

export function countCodePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

function overScore(ratio: number): number {
  if (ratio <= 1) return 0;
  return Math.min(1, 0.6 + 0.175 * Math.log2(ratio));
}

/**
 * `text` may be a prefix of the real input (the pipeline scans at most 32 KB); `totalLength` is the
 * real UTF-16 length, and tokens beyond the prefix are extrapolated from the prefix's density.
 */
export function scanLength(text: string, options: LengthOptions = {}, totalLength = text.length): ScanResult {
  const maxChars = options.maxChars ?? 24_000;
  const maxTokens = options.maxTokens ?? 6_000;
  const scannedChars = countCodePoints(text);
  const chars = text.length > 0 ? Math.round(scannedChars * (totalLength / text.length)) : 0;
  const scannedTokens = approximateTokens(text);
  const tokens = text.length > 0 ? Math.round(scannedTokens * (totalLength / text.length)) : 0;
  const matches: ScanResult["matches"] = [];
  const charScore = overScore(chars / maxChars);
  const tokenScore = overScore(tokens / maxTokens);
  if (charScore > 0) matches.push({ kind: "too-many-chars", evidence: `${chars} chars > ${maxChars}` });
  if (tokenScore > 0) matches.push({ kind: "too-many-tokens", evidence: `~${tokens} tokens > ${maxTokens}` });
  return result(LENGTH, Math.max(charScore, tokenScore), matches);
}
