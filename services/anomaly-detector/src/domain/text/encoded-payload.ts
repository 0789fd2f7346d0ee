// Encoded payloads: base64 (standard and URL-safe), hex (plain, 0x, \x escapes, spaced bytes) and
// percent-encoding that DECODE TO PRINTABLE TEXT; the decoded text is re-scanned for prompt
// injection (and decoded again, two levels deep, for nested encodings). Random binary (images,
// hashes, keys) does not decode to text and is ignored. When the text itself mentions rot13 or
// reading backwards, those transforms of the whole text are re-scanned too.
// Bounded: at most 64 candidates and 64 KB of decoded text per scan.

import { scanPromptInjection } from "./prompt-injection.js";
import { excerpt } from "./redact.js";
import { Findings, type ScanResult } from "./types.js";

export const ENCODED_PAYLOAD = "encoded-payload";

export interface EncodedPayloadOptions {
  /** Minimum characters of a base64 candidate (default 16, i.e. 12 bytes). */
  minBase64Length?: number;
  /** Score for an encoded text that is not an injection (default 0.3: informational). */
  plainTextScore?: number;
}

const RE_BASE64 = /[A-Za-z0-9+/_-]{16,}={0,2}/g;
const RE_HEX = /(?<![0-9A-Za-z])(?:0x)?((?:[0-9a-fA-F]{2}){12,})(?![0-9A-Za-z])/g;
const RE_HEX_ESCAPED = /(?:\\x[0-9a-fA-F]{2}){8,}/g;
const RE_HEX_SPACED = /(?<![0-9A-Za-z])(?:[0-9a-fA-F]{2}[ :]){8,}[0-9a-fA-F]{2}(?![0-9A-Za-z])/g;
const RE_PERCENT = /(?:%[0-9a-fA-F]{2}[^%\s]{0,3}){6,}/g;
const RE_ROT13_HINT = /\brot-?13\b|\bcaesar\b/i;
const RE_REVERSE_HINT = /\b(?:backwards?|reversed?|in reverse|right to left)\b/i;

const MAX_CANDIDATES = 64;
const MAX_DECODED = 64 * 1024;
const MAX_CANDIDATE_LENGTH = 8192;
const MAX_DEPTH = 2;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decoded bytes as text when they read as natural text, else undefined. */
function asText(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8) return undefined;
  let s: string;
  try {
    s = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  let letters = 0;
  let spaces = 0;
  let bad = 0;
  let total = 0;
  for (const ch of s) {
    total++;
    const cp = ch.codePointAt(0) ?? 0;
    if ((cp < 0x20 && cp !== 9 && cp !== 10 && cp !== 13) || cp === 0x7f || cp === 0xfffd) bad++;
    else if (/\p{L}/u.test(ch)) letters++;
    else if (ch === " ") spaces++;
  }
  if (bad > 0 || letters < 0.55 * total) return undefined;
  // Words, or a nested encoding (long runs of base64/hex letters).
  if (spaces === 0 && !/^[A-Za-z0-9+/=_-]{16,}$/.test(s.trim())) return undefined;
  return s;
}

function decodeBase64(candidate: string): Uint8Array | undefined {
  let s = candidate.replace(/=+$/, "");
  if (s.includes("+") || s.includes("/")) {
    if (s.includes("-") || s.includes("_")) return undefined;
  }
  if (s.length % 4 === 1) s = s.slice(0, -1);
  // Plain words and identifiers are not base64: require digits or mixed case.
  if (!/[0-9]/.test(s) && !(/[a-z]/.test(s) && /[A-Z]/.test(s))) return undefined;
  return new Uint8Array(Buffer.from(s, "base64"));
}

function decodeHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

interface Decoded {
  kind: string;
  text: string;
  offset: number;
}

function candidates(text: string, minBase64: number): Decoded[] {
  const out: Decoded[] = [];
  let budget = MAX_DECODED;
  const push = (kind: string, bytes: Uint8Array | undefined, offset: number) => {
    if (!bytes || out.length >= MAX_CANDIDATES || budget <= 0) return;
    const t = asText(bytes);
    if (t === undefined) return;
    budget -= t.length;
    out.push({ kind, text: t, offset });
  };
  for (const m of text.matchAll(RE_HEX_ESCAPED)) push("hex", decodeHex(m[0].replaceAll("\\x", "")), m.index);
  for (const m of text.matchAll(RE_HEX_SPACED)) push("hex", decodeHex(m[0].replace(/[ :]/g, "")), m.index);
  for (const m of text.matchAll(RE_HEX)) {
    const hex = m[1] ?? "";
    if (hex.length <= MAX_CANDIDATE_LENGTH) push("hex", decodeHex(hex), m.index);
  }
  for (const m of text.matchAll(RE_BASE64)) {
    const c = m[0];
    if (c.length < minBase64 || c.length > MAX_CANDIDATE_LENGTH || /^[0-9a-fA-F]+$/.test(c)) continue;
    push("base64", decodeBase64(c), m.index);
  }
  for (const m of text.matchAll(RE_PERCENT)) {
    let t: string | undefined;
    try {
      t = decodeURIComponent(m[0]);
    } catch {
      t = undefined;
    }
    if (t && out.length < MAX_CANDIDATES) out.push({ kind: "percent", text: t, offset: m.index });
  }
  return out;
}

function rot13(s: string): string {
  return s.replace(/[a-zA-Z]/g, (c) => {
    const base = c <= "Z" ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

function scanDecoded(
  text: string,
  depth: number,
  f: Findings,
  opts: Required<EncodedPayloadOptions>,
  path: string,
): void {
  for (const d of candidates(text, opts.minBase64Length)) {
    const kind = path ? `${path}>${d.kind}` : d.kind;
    const inj = scanPromptInjection(d.text);
    if (inj.score >= 0.4) {
      f.add(
        "encoded-injection",
        Math.max(0.85, inj.score),
        `${kind} decodes to an injection (${inj.matches[0]?.kind ?? "?"}): "${excerpt(d.text, 24)}"`,
        d.offset,
      );
    } else if (d.kind !== "percent") {
      // Only the size: decoded text may carry credentials ("user:password") or personal data.
      const words = d.text.trim().split(/\s+/).length;
      f.add(
        "encoded-text",
        opts.plainTextScore,
        `${kind} decodes to text (${d.text.length} chars, ${words} words)`,
        d.offset,
      );
    }
    if (depth < MAX_DEPTH) scanDecoded(d.text, depth + 1, f, opts, kind);
  }
}

export function scanEncodedPayload(text: string, options: EncodedPayloadOptions = {}): ScanResult {
  const f = new Findings();
  const opts = {
    plainTextScore: options.plainTextScore ?? 0.3,
    minBase64Length: options.minBase64Length ?? 16,
  };
  scanDecoded(text, 1, f, opts, "");
  if (RE_ROT13_HINT.test(text)) {
    const inj = scanPromptInjection(rot13(text));
    if (inj.score >= 0.5)
      f.add("rot13-injection", 0.85, `rot13 of the text is an injection (${inj.matches[0]?.kind ?? "?"})`);
  }
  if (RE_REVERSE_HINT.test(text)) {
    const inj = scanPromptInjection(Array.from(text).reverse().join(""));
    if (inj.score >= 0.5)
      f.add("reversed-injection", 0.85, `the reversed text is an injection (${inj.matches[0]?.kind ?? "?"})`);
  }
  return f.toResult(ENCODED_PAYLOAD, "max");
}
