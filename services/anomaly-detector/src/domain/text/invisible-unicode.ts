// Invisible and format-control Unicode: characters a human reviewer does not see but a model reads
// (or that reorder what the reviewer sees).
//
// - Tag characters U+E0000..E007F ("ASCII smuggling"): each encodes an ASCII character invisibly.
//   Legitimate only as emoji subdivision flags (🏴 + tag letters + CANCEL TAG). Decoded and re-scanned
//   for injection.
// - Variation selectors: legitimate after emoji (VS15/VS16) and CJK ideographs (VS17+ ideographic
//   variation sequences); a run of them after one character encodes bytes ("emoji smuggling"),
//   decoded and re-scanned.
// - Bidi controls: overrides (LRO/RLO) reorder text ("Trojan Source", spoofed file extensions);
//   embeddings and isolates likewise. Legitimate in right-to-left text, much less so elsewhere.
// - Zero-width characters: ZWJ inside emoji sequences and ZWJ/ZWNJ in Arabic-script and Indic
//   words are legitimate; inside Latin words or in long runs (bit-encoded watermarks) they are not.
// - Fillers and invisible operators (Hangul fillers, U+2061-2064, soft hyphen).

import { scanPromptInjection } from "./prompt-injection.js";
import { excerpt } from "./redact.js";
import { Findings, type ScanResult } from "./types.js";

export const INVISIBLE_UNICODE = "invisible-unicode";

const RE_PICTO = /\p{Extended_Pictographic}/u;
const RE_EMOJI_MOD = /\p{Emoji_Modifier}|\p{Emoji_Component}/u;
const RE_JOINING_SCRIPT =
  /[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Mongolian}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const RE_RTL = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}]/u;
const RE_HAN = /\p{Script=Han}/u;
const RE_LATIN_LETTER = /\p{Script=Latin}/u;

export interface InvisibleUnicodeOptions {
  /** Re-scan text decoded from tag characters or variation selectors for injection (default true). */
  rescanHidden?: boolean;
}

function isVs(c: number): boolean {
  return (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0100 && c <= 0xe01ef);
}

function charAt(cps: readonly number[], i: number): string {
  const cp = cps[i];
  return cp === undefined ? "" : String.fromCodePoint(cp);
}

export function scanInvisibleUnicode(text: string, options: InvisibleUnicodeOptions = {}): ScanResult {
  const f = new Findings();
  const cps: number[] = [];
  const offsets: number[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) ?? 0;
    cps.push(cp);
    offsets.push(i);
    i += cp > 0xffff ? 2 : 1;
  }
  const rtl = RE_RTL.test(text);
  let zwSuspicious = 0;
  let zwInWord = 0;
  let zwFirst = -1;
  let fillers = 0;
  let bidiWeak = 0;
  const hiddenTexts: string[] = [];

  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] ?? 0;
    const at = offsets[i] ?? 0;
    // Tag characters.
    if (cp >= 0xe0000 && cp <= 0xe007f) {
      let j = i;
      let decoded = "";
      while (j < cps.length && (cps[j] ?? 0) >= 0xe0000 && (cps[j] ?? 0) <= 0xe007f) {
        const t = cps[j] ?? 0;
        if (t >= 0xe0020 && t <= 0xe007e) decoded += String.fromCharCode(t - 0xe0000);
        j++;
      }
      const prev = cps[i - 1];
      const isFlag = prev === 0x1f3f4 && cps[j - 1] === 0xe007f && /^[a-z0-9]{2,7}$/.test(decoded);
      if (!isFlag) {
        f.add(
          "tag-characters",
          0.9,
          `${j - i} tag characters encode "${excerpt(decoded, 12)}" (${decoded.length} chars)`,
          at,
        );
        hiddenTexts.push(decoded);
      }
      i = j - 1;
      continue;
    }
    // Variation selectors.
    if (isVs(cp)) {
      let j = i;
      const bytes: number[] = [];
      while (j < cps.length && isVs(cps[j] ?? 0)) {
        const v = cps[j] ?? 0;
        bytes.push(v <= 0xfe0f ? v - 0xfe00 : v - 0xe0100 + 16);
        j++;
      }
      const base = charAt(cps, i - 1);
      if (j - i >= 3) {
        let decoded = "";
        try {
          decoded = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
        } catch {
          decoded = "";
        }
        f.add(
          "variation-selector-run",
          0.85,
          `${j - i} variation selectors after one character${decoded ? `, decode to "${excerpt(decoded, 12)}"` : ""}`,
          at,
        );
        if (decoded) hiddenTexts.push(decoded);
      } else {
        const legit =
          cp === 0xfe0f || cp === 0xfe0e
            ? RE_PICTO.test(base) || /[0-9#*\u00a9\u00ae\u2000-\u3300]/u.test(base)
            : cp >= 0xe0100
              ? RE_HAN.test(base)
              : RE_HAN.test(base) || /[\u2200-\u22ff]/u.test(base);
        if (!legit)
          f.add("stray-variation-selector", 0.3, `U+${cp.toString(16).toUpperCase()} after "${base}"`, at);
      }
      i = j - 1;
      continue;
    }
    // Bidi controls.
    if (cp === 0x202d || cp === 0x202e) {
      f.add(
        "bidi-override",
        rtl ? 0.5 : 0.8,
        `${cp === 0x202e ? "RIGHT-TO-LEFT" : "LEFT-TO-RIGHT"} OVERRIDE`,
        at,
      );
      continue;
    }
    if (cp === 0x202a || cp === 0x202b || cp === 0x202c || (cp >= 0x2066 && cp <= 0x2069)) {
      if (!rtl) f.add("bidi-embedding", 0.6, `bidi control U+${cp.toString(16).toUpperCase()}`, at);
      continue;
    }
    if (cp === 0x200e || cp === 0x200f || cp === 0x061c) {
      if (!rtl) bidiWeak++;
      continue;
    }
    // Zero-width characters.
    if (
      cp === 0x200b ||
      cp === 0x200c ||
      cp === 0x200d ||
      cp === 0x2060 ||
      cp === 0xfeff ||
      cp === 0x180e ||
      cp === 0x00ad
    ) {
      if (cp === 0xfeff && i === 0) continue; // byte-order mark
      const prev = charAt(cps, i - 1);
      const next = charAt(cps, i + 1);
      if (
        cp === 0x200d &&
        (RE_PICTO.test(prev) || RE_EMOJI_MOD.test(prev) || prev === "\ufe0f") &&
        RE_PICTO.test(next)
      )
        continue;
      if ((cp === 0x200c || cp === 0x200d) && (RE_JOINING_SCRIPT.test(prev) || RE_JOINING_SCRIPT.test(next)))
        continue;
      if (cp === 0x00ad && /\p{L}/u.test(prev) && /\p{L}/u.test(next) && !RE_LATIN_LETTER.test(prev))
        continue;
      zwSuspicious++;
      if (zwFirst < 0) zwFirst = at;
      if (RE_LATIN_LETTER.test(prev) && RE_LATIN_LETTER.test(next)) zwInWord++;
      continue;
    }
    if (
      cp === 0x3164 ||
      cp === 0xffa0 ||
      cp === 0x115f ||
      cp === 0x1160 ||
      (cp >= 0x2061 && cp <= 0x2064) ||
      cp === 0x034f
    ) {
      fillers++;
      if (zwFirst < 0) zwFirst = at;
    }
  }

  if (zwSuspicious > 0) {
    const score =
      zwSuspicious >= 8
        ? 0.85
        : zwInWord >= 2
          ? 0.75
          : zwInWord === 1
            ? 0.55
            : zwSuspicious >= 3
              ? 0.6
              : 0.35;
    f.add(
      "zero-width",
      score,
      `${zwSuspicious} zero-width characters, ${zwInWord} inside Latin words`,
      zwFirst,
    );
  }
  if (fillers > 0)
    f.add("invisible-filler", fillers >= 2 ? 0.6 : 0.45, `${fillers} invisible filler characters`, zwFirst);
  if (bidiWeak > 0)
    f.add("bidi-mark", Math.min(0.5, 0.25 * bidiWeak), `${bidiWeak} bidi marks in left-to-right text`);

  if (options.rescanHidden !== false && hiddenTexts.length > 0) {
    // One scan of all hidden text, bounded, whatever the number of hidden runs.
    const inj = scanPromptInjection(hiddenTexts.join("\n").slice(0, 16_384));
    if (inj.score >= 0.4) {
      f.add(
        "hidden-injection",
        Math.max(0.95, inj.score),
        `hidden text reads as injection (${inj.matches[0]?.kind ?? "?"})`,
      );
    }
  }
  return f.toResult(INVISIBLE_UNICODE);
}
