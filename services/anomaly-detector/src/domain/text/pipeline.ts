// The scanner pipeline: runs the scanners on one text and turns their scores into a verdict.
//
// Per scanner: weighted = min(1, score × weight); the scanner votes "block" when weighted ≥ blockAt,
// "flag" when ≥ flagAt. The verdict is the strongest vote; in addition the noisy-OR of all weighted
// scores (the pipeline score) flags the text when it reaches `combinedFlagAt`, so several
// medium signals together are not lost.
//
// Inputs run every scanner; outputs run secrets, PII and markup (leakage and exfiltration).
// Only the first `maxScanChars` (default 32 768 UTF-16 units: 28 KB from the head and 4 KB from the
// tail, where appended injections sit) are scanned; the length scanner still judges the full size.
// Everything is linear in the scanned length: no scanner re-reads the text more than a bounded
// number of times and every regex is precompiled and free of nested unbounded quantifiers.

import { ENCODED_PAYLOAD, type EncodedPayloadOptions, scanEncodedPayload } from "./encoded-payload.js";
import {
  INVISIBLE_UNICODE,
  type InvisibleUnicodeOptions,
  scanInvisibleUnicode,
} from "./invisible-unicode.js";
import { LENGTH, type LengthOptions, scanLength } from "./length.js";
import { MARKUP, type MarkupOptions, scanMarkup } from "./markup.js";
import { MIXED_SCRIPT, scanMixedScript } from "./mixed-script.js";
import { PII, type PiiOptions, scanPii } from "./pii.js";
import { PROMPT_INJECTION, type PromptInjectionOptions, scanPromptInjection } from "./prompt-injection.js";
import { SECRETS, type SecretsOptions, scanSecrets } from "./secrets.js";
import { SQL_INJECTION, scanSqlInjection } from "./sql-injection.js";
import { clamp01, noisyOr, round4, type ScanResult } from "./types.js";

export type Verdict = "allow" | "flag" | "block";

export const SCANNER_NAMES = [
  PROMPT_INJECTION,
  INVISIBLE_UNICODE,
  MIXED_SCRIPT,
  ENCODED_PAYLOAD,
  MARKUP,
  SECRETS,
  PII,
  SQL_INJECTION,
  LENGTH,
] as const;
export type ScannerName = (typeof SCANNER_NAMES)[number];

export interface ScannerPolicy {
  enabled: boolean;
  weight: number;
  flagAt: number;
  blockAt: number;
}

export interface ScannerOptions {
  [PROMPT_INJECTION]: PromptInjectionOptions;
  [INVISIBLE_UNICODE]: InvisibleUnicodeOptions;
  [ENCODED_PAYLOAD]: EncodedPayloadOptions;
  [MARKUP]: MarkupOptions;
  [SECRETS]: SecretsOptions;
  [PII]: PiiOptions;
  [LENGTH]: LengthOptions;
}

export interface PipelineConfig {
  /** UTF-16 units scanned (head + tail); default 32 768. */
  maxScanChars: number;
  /** Of which taken from the end of a longer text; default 4 096. */
  tailChars: number;
  /** Noisy-OR of all weighted scores at or above which the text is flagged; default 0.8. */
  combinedFlagAt: number;
  policies: Record<ScannerName, ScannerPolicy>;
  options: ScannerOptions;
}

export interface PipelineConfigOverrides {
  maxScanChars?: number;
  tailChars?: number;
  combinedFlagAt?: number;
  policies?: Partial<Record<ScannerName, Partial<ScannerPolicy>>>;
  options?: Partial<ScannerOptions>;
}

export interface ScannerVerdict {
  scanner: string;
  verdict: Verdict;
  weighted: number;
}

export interface PipelineResult {
  verdict: Verdict;
  /** Noisy-OR of the weighted scanner scores, 0..1. */
  score: number;
  results: ScanResult[];
  /** The scanners that voted flag or block, strongest first. */
  reasons: ScannerVerdict[];
  /** True when only the head and tail of the text were scanned. */
  truncated: boolean;
}

const policy = (flagAt: number, blockAt: number, weight = 1): ScannerPolicy => ({
  enabled: true,
  weight,
  flagAt,
  blockAt,
});
const off = (p: ScannerPolicy): ScannerPolicy => ({ ...p, enabled: false });

const INPUT_POLICIES: Record<ScannerName, ScannerPolicy> = {
  [PROMPT_INJECTION]: policy(0.5, 0.8),
  [INVISIBLE_UNICODE]: policy(0.5, 0.9),
  [MIXED_SCRIPT]: policy(0.5, 0.9),
  [ENCODED_PAYLOAD]: policy(0.5, 0.8),
  [MARKUP]: policy(0.5, 0.85),
  [SECRETS]: policy(0.5, 0.85),
  [PII]: policy(0.5, 0.9),
  [SQL_INJECTION]: policy(0.5, 0.85),
  [LENGTH]: policy(0.5, 0.95),
};

/** Defaults for model inputs: every scanner. */
export const DEFAULT_INPUT_CONFIG: PipelineConfig = {
  maxScanChars: 32_768,
  tailChars: 4_096,
  combinedFlagAt: 0.8,
  policies: INPUT_POLICIES,
  options: {
    [PROMPT_INJECTION]: {},
    [INVISIBLE_UNICODE]: {},
    [ENCODED_PAYLOAD]: {},
    [MARKUP]: {},
    [SECRETS]: {},
    [PII]: {},
    [LENGTH]: {},
  },
};

/** Defaults for model outputs: leakage (secrets, PII) and markup exfiltration only. */
export const DEFAULT_OUTPUT_CONFIG: PipelineConfig = {
  ...DEFAULT_INPUT_CONFIG,
  policies: {
    ...INPUT_POLICIES,
    [PROMPT_INJECTION]: off(INPUT_POLICIES[PROMPT_INJECTION]),
    [INVISIBLE_UNICODE]: off(INPUT_POLICIES[INVISIBLE_UNICODE]),
    [MIXED_SCRIPT]: off(INPUT_POLICIES[MIXED_SCRIPT]),
    [ENCODED_PAYLOAD]: off(INPUT_POLICIES[ENCODED_PAYLOAD]),
    [SQL_INJECTION]: off(INPUT_POLICIES[SQL_INJECTION]),
    [LENGTH]: off(INPUT_POLICIES[LENGTH]),
  },
};

export function resolveConfig(base: PipelineConfig, overrides: PipelineConfigOverrides = {}): PipelineConfig {
  const policies = { ...base.policies };
  for (const name of SCANNER_NAMES) {
    const o = overrides.policies?.[name];
    if (o) policies[name] = { ...policies[name], ...o };
  }
  return {
    maxScanChars: overrides.maxScanChars ?? base.maxScanChars,
    tailChars: overrides.tailChars ?? base.tailChars,
    combinedFlagAt: overrides.combinedFlagAt ?? base.combinedFlagAt,
    policies,
    options: { ...base.options, ...overrides.options },
  };
}

/** Head and tail of an over-long text, never splitting a surrogate pair. */
export function scannedPart(
  text: string,
  maxChars: number,
  tailChars: number,
): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  const tail = Math.min(tailChars, Math.floor(maxChars / 2));
  let headEnd = maxChars - tail - 1;
  if (isLowSurrogate(text.charCodeAt(headEnd))) headEnd--;
  let tailStart = text.length - tail;
  if (isLowSurrogate(text.charCodeAt(tailStart))) tailStart++;
  return { text: `${text.slice(0, headEnd)}\n${text.slice(tailStart)}`, truncated: true };
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function runScanner(
  name: ScannerName,
  text: string,
  fullLength: number,
  options: ScannerOptions,
): ScanResult {
  switch (name) {
    case PROMPT_INJECTION:
      return scanPromptInjection(text, options[PROMPT_INJECTION]);
    case INVISIBLE_UNICODE:
      return scanInvisibleUnicode(text, options[INVISIBLE_UNICODE]);
    case MIXED_SCRIPT:
      return scanMixedScript(text);
    case ENCODED_PAYLOAD:
      return scanEncodedPayload(text, options[ENCODED_PAYLOAD]);
    case MARKUP:
      return scanMarkup(text, options[MARKUP]);
    case SECRETS:
      return scanSecrets(text, options[SECRETS]);
    case PII:
      return scanPii(text, options[PII]);
    case SQL_INJECTION:
      return scanSqlInjection(text);
    case LENGTH:
      return scanLength(text, options[LENGTH], fullLength);
  }
}

const RANK: Record<Verdict, number> = { allow: 0, flag: 1, block: 2 };

export function runPipeline(text: string, config: PipelineConfig): PipelineResult {
  const part = scannedPart(text, config.maxScanChars, config.tailChars);
  const results: ScanResult[] = [];
  const reasons: ScannerVerdict[] = [];
  const weightedScores: number[] = [];
  let verdict: Verdict = "allow";
  for (const name of SCANNER_NAMES) {
    const p = config.policies[name];
    if (!p.enabled) continue;
    const r = runScanner(name, part.text, text.length, config.options);
    results.push(r);
    const weighted = clamp01(r.score * p.weight);
    weightedScores.push(weighted);
    const v: Verdict = weighted >= p.blockAt ? "block" : weighted >= p.flagAt ? "flag" : "allow";
    if (v !== "allow") reasons.push({ scanner: name, verdict: v, weighted: round4(weighted) });
    if (RANK[v] > RANK[verdict]) verdict = v;
  }
  const score = round4(noisyOr(weightedScores));
  if (verdict === "allow" && score >= config.combinedFlagAt) {
    verdict = "flag";
    reasons.push({ scanner: "combined", verdict: "flag", weighted: score });
  }
  reasons.sort((a, b) => RANK[b.verdict] - RANK[a.verdict] || b.weighted - a.weighted);
  return { verdict, score, results, reasons, truncated: part.truncated };
}

/** Screens a model input with every scanner. */
export function scanInput(text: string, config: PipelineConfigOverrides = {}): PipelineResult {
  return runPipeline(text, resolveConfig(DEFAULT_INPUT_CONFIG, config));
}

/** Screens a model output for leaked secrets and personal data and for exfiltrating markup. */
export function scanOutput(text: string, config: PipelineConfigOverrides = {}): PipelineResult {
  return runPipeline(text, resolveConfig(DEFAULT_OUTPUT_CONFIG, config));
}
