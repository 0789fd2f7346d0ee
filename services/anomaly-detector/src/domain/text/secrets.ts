// Secrets: credentials of known formats (the prefixes providers chose so that leaks can be found),
// private keys, JWTs, credentials in URLs and key=value assignments, and generic high-entropy
// tokens next to a credential keyword. Evidence is redacted (redactSecret: a short prefix and the
// length). Documentation example keys (…EXAMPLE) score low.

import { redactSecret } from "./redact.js";
import { Findings, type ScanResult } from "./types.js";

export const SECRETS = "secrets";

export interface SecretsOptions {
  /** Minimum length of a generic high-entropy token (default 20). */
  minEntropyLength?: number;
  /** Shannon entropy threshold in bits per character for generic tokens (default 3.5; random base62 ≈ 4.5+). */
  entropyThreshold?: number;
  /** Score of a high-entropy token with no credential keyword nearby (default 0.35: below flag). */
  bareEntropyScore?: number;
}

interface Format {
  kind: string;
  re: RegExp;
  score: number;
  /** Capture group holding the secret (0 = whole match). */
  group?: number;
}

const FORMATS: readonly Format[] = [
  {
    kind: "private-key",
    re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP |SSH2 )?PRIVATE KEY(?: BLOCK)?-----/g,
    score: 0.99,
  },
  {
    kind: "aws-access-key-id",
    re: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g,
    score: 0.95,
  },
  { kind: "github-token", re: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b/g, score: 0.95 },
  { kind: "github-fine-grained-token", re: /\bgithub_pat_[A-Za-z0-9_]{50,255}\b/g, score: 0.95 },
  { kind: "gitlab-token", re: /\bglpat-[A-Za-z0-9_-]{20,}\b/g, score: 0.95 },
  { kind: "slack-token", re: /\bxox[abposr]-[A-Za-z0-9-]{10,250}\b/g, score: 0.92 },
  {
    kind: "slack-webhook",
    re: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,}\/B[A-Z0-9]{6,}\/[A-Za-z0-9]{20,}/g,
    score: 0.9,
  },
  { kind: "stripe-live-key", re: /\b(?:sk|rk)_live_[A-Za-z0-9]{20,247}\b/g, score: 0.97 },
  { kind: "stripe-test-key", re: /\b(?:sk|rk)_test_[A-Za-z0-9]{20,247}\b/g, score: 0.6 },
  { kind: "google-api-key", re: /\bAIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g, score: 0.92 },
  { kind: "anthropic-key", re: /\bsk-ant-[A-Za-z0-9_-]{20,}/g, score: 0.95 },
  {
    kind: "openai-key",
    re: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])/g,
    score: 0.9,
  },
  { kind: "sendgrid-key", re: /\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}\b/g, score: 0.93 },
  { kind: "npm-token", re: /\bnpm_[A-Za-z0-9]{36}\b/g, score: 0.93 },
  { kind: "pypi-token", re: /\bpypi-AgE[A-Za-z0-9_-]{50,}/g, score: 0.93 },
  { kind: "twilio-key", re: /\bSK[0-9a-f]{32}\b/g, score: 0.8 },
  { kind: "webhook-signing-secret", re: /\bwhsec_[A-Za-z0-9+/=]{24,}/g, score: 0.9 },
];

const RE_JWT = /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{10,}/g;
const RE_URL_CREDENTIALS =
  /\b[a-z][a-z0-9+.-]{1,20}:\/\/([^\s:/@"'<>]{1,64}):([^\s/@"'<>]{3,128})@[^\s/"'<>]+/gi;
const RE_BEARER = /\b(?:bearer|token)\s+([A-Za-z0-9._~+/=-]{20,})/gi;
const RE_KEY_VALUE =
  /["']?\b((?:[a-z0-9]{1,20}[_-])?(?:password|passwd|pwd|passphrase|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|auth[_-]?token|access[_-]?token|private[_-]?key|token))\b["']?\s{0,8}(?:[:=]|=>)\s{0,8}["']?([^\s"'<>,;})]{6,200})/gi;
const RE_CANDIDATE = /[A-Za-z0-9+/_=-]{20,}/g;
const RE_KEYWORD =
  /(?:api[_ -]?key|secret|token|passw|pwd|auth|bearer|credential|private[_ -]?key|access[_ -]?key|signing)[^\n]{0,30}$/i;

const PLACEHOLDER =
  /^(?:<[^>]*>?|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{?.*\}\}?|%[A-Za-z_]+%?|\*+|x{3,}|\.{3,}|changeme|change_me|password\d?|passw0rd|secret|your[_-].*|my[_-].*|example.*|dummy.*|placeholder|none|null|true|false|undefined|required|optional|redacted|hidden|os\.environ.*|process\.env.*|env\(.*)$/i;

export function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  const n = s.length;
  for (const k of counts.values()) {
    const p = k / n;
    h -= p * Math.log2(p);
  }
  return h;
}

function classes(s: string): number {
  return (
    (/[a-z]/.test(s) ? 1 : 0) +
    (/[A-Z]/.test(s) ? 1 : 0) +
    (/[0-9]/.test(s) ? 1 : 0) +
    (/[^A-Za-z0-9]/.test(s) ? 1 : 0)
  );
}

function isExample(value: string): boolean {
  return /EXAMPLE|example|XXXXXXXX|0000000000|1234567890abcdef/i.test(value);
}

function jwtAlg(token: string): string | undefined {
  const header = token.slice(0, token.indexOf("."));
  try {
    const json = JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as unknown;
    if (json && typeof json === "object" && "alg" in json)
      return String((json as { alg: unknown }).alg).slice(0, 10);
  } catch {
    // not JSON
  }
  return undefined;
}

export function scanSecrets(text: string, options: SecretsOptions = {}): ScanResult {
  const f = new Findings();
  const covered: [number, number][] = [];
  const cover = (start: number, end: number) => covered.push([start, end]);
  const isCovered = (start: number, end: number) => covered.some(([a, b]) => start < b && end > a);

  for (const fmt of FORMATS) {
    for (const m of text.matchAll(fmt.re)) {
      const value = m[fmt.group ?? 0] ?? m[0];
      if (isCovered(m.index, m.index + m[0].length)) continue;
      cover(m.index, m.index + m[0].length);
      if (fmt.kind === "private-key") {
        f.add(fmt.kind, fmt.score, `${value.replace(/-/g, "").trim()} block`, m.index);
        const endMarker = text.indexOf("-----END", m.index + m[0].length);
        if (endMarker > 0) cover(m.index, endMarker + 8);
        else cover(m.index, Math.min(text.length, m.index + 4000));
        continue;
      }
      const example = isExample(value);
      f.add(
        example ? `${fmt.kind}-example` : fmt.kind,
        example ? 0.3 : fmt.score,
        redactSecret(value),
        m.index,
      );
    }
  }
  for (const m of text.matchAll(RE_JWT)) {
    if (isCovered(m.index, m.index + m[0].length)) continue;
    cover(m.index, m.index + m[0].length);
    const alg = jwtAlg(m[0]);
    f.add("jwt", alg ? 0.85 : 0.6, `${redactSecret(m[0])}${alg ? ` alg=${alg}` : ""}`, m.index);
  }
  for (const m of text.matchAll(RE_URL_CREDENTIALS)) {
    const password = m[2] ?? "";
    const at = m.index + m[0].indexOf(`:${password}@`) + 1;
    cover(at, at + password.length);
    if (PLACEHOLDER.test(password)) continue;
    f.add("url-credentials", 0.88, `password in URL ${redactSecret(password)}`, at);
  }
  for (const m of text.matchAll(RE_BEARER)) {
    const value = m[1] ?? "";
    const at = m.index + m[0].length - value.length;
    if (isCovered(at, at + value.length) || PLACEHOLDER.test(value)) continue;
    if (classes(value) < 2 || shannonEntropy(value) < 3.3) continue;
    cover(at, at + value.length);
    f.add("bearer-token", 0.85, redactSecret(value), at);
  }
  for (const m of text.matchAll(RE_KEY_VALUE)) {
    const key = (m[1] ?? "").toLowerCase();
    const value = (m[2] ?? "").replace(/["']$/, "");
    const at = m.index + m[0].length - (m[2] ?? "").length;
    if (isCovered(at, at + value.length) || PLACEHOLDER.test(value)) continue;
    const kinds = classes(value);
    const entropy = shannonEntropy(value);
    // "password: minimum 12 characters" is a policy, not a password: a plain lowercase word is skipped.
    if (kinds < 2) continue;
    if (/^[A-Za-z][a-z]+$/.test(value)) continue;
    const strong = value.length >= 12 && entropy >= 3.4 && kinds >= 3;
    cover(at, at + value.length);
    f.add(
      `assigned-${key.replace(/[^a-z]/g, "") || "secret"}`,
      strong ? 0.88 : 0.7,
      `${key}=${redactSecret(value)}`,
      at,
    );
  }
  const minLength = options.minEntropyLength ?? 20;
  const threshold = options.entropyThreshold ?? 3.5;
  const bare = options.bareEntropyScore ?? 0.35;
  for (const m of text.matchAll(RE_CANDIDATE)) {
    const value = m[0].replace(/^[-_=/+]+|[-_=/+]+$/g, "");
    const at = m.index;
    if (value.length < minLength || value.length > 100) continue; // longer: data blobs, not keys
    if (isCovered(at, at + m[0].length)) continue;
    if (/^[0-9a-fA-F-]+$/.test(value)) continue; // hashes, UUIDs, hex ids
    if (!/[a-z]/.test(value) || !/[A-Z]/.test(value) || !/[0-9]/.test(value)) continue;
    if ((value.match(/\//g)?.length ?? 0) >= 2) continue; // paths
    const prefix = text.slice(Math.max(0, at - 12), at);
    if (/sha\d{3}-$|base64,$|:\/\/[^\s]*$/i.test(prefix)) continue; // SRI hashes, data URIs, URLs
    const entropy = shannonEntropy(value);
    const needed = Math.min(threshold + 0.5, threshold + (value.length < 32 ? 0 : 0.3));
    if (entropy < needed) continue;
    const context = text.slice(Math.max(0, at - 40), at);
    const keyword = RE_KEYWORD.test(context);
    f.add(
      keyword ? "high-entropy-credential" : "high-entropy-string",
      keyword ? 0.8 : bare,
      `${redactSecret(value)} entropy ${entropy.toFixed(2)}`,
      at,
    );
  }
  return f.toResult(SECRETS, "max");
}
