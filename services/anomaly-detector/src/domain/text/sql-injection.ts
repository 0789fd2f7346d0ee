// SQL injection: fragments that break out of a string literal and change a query, as opposed to
// SQL that someone asks about. Every strong pattern needs a break-out (a quote or closing
// parenthesis, or a numeric parameter like "id=5") or an attack-only construct (tautology with a
// comment terminator, UNION SELECT NULL padding, information_schema probing, time delays, stacked
// DROP/SHUTDOWN/xp_cmdshell). "How do I write a SELECT with a JOIN?" matches nothing; "UNION SELECT"
// alone scores low. Comments used as whitespace (UNION/**/SELECT) and percent-encoding are undone
// first. Matches in markdown code spans are discounted (x0.6).

import { codeSpans, inRanges } from "./code-spans.js";
import { excerpt } from "./redact.js";
import { Findings, type ScanResult } from "./types.js";

export const SQL_INJECTION = "sql-injection";

interface Pattern {
  kind: string;
  re: RegExp;
  score: number;
  /** Extra check on the match (e.g. a tautology compares equal literals). */
  check?: (m: RegExpExecArray) => boolean;
}

const Q = `['"\`]`;
const PATTERNS: readonly Pattern[] = [
  {
    kind: "quoted-tautology",
    re: new RegExp(
      `${Q}\\s{0,8}\\)?\\s{0,8}(?:or|\\|\\|)\\s{0,8}\\(?\\s{0,8}(${Q}?)(\\w{1,20})\\1\\s{0,8}(?:=|like)\\s{0,8}(${Q}?)(\\w{1,20})(?:\\3|$|\\s)`,
      "gi",
    ),
    score: 0.92,
    check: (m) => (m[2] ?? "").toLowerCase() === (m[4] ?? "").toLowerCase(),
  },
  {
    kind: "empty-string-tautology",
    re: new RegExp(`${Q}\\s{0,8}or\\s{0,8}(${Q})\\1\\s{0,8}=\\s{0,8}${Q}`, "gi"),
    score: 0.9,
  },
  {
    kind: "quoted-boolean",
    re: new RegExp(
      `${Q}\\s{0,8}\\)?\\s{0,8}(?:and|or)\\s+\\(?\\s{0,8}(?:true|false|not\\b|\\d+\\s{0,8}[=<>]\\s{0,8}(?:\\d+|\\(\\s{0,8}select\\b)|sleep|select|exists|extractvalue|updatexml)`,
      "gi",
    ),
    score: 0.85,
  },
  {
    kind: "numeric-tautology",
    re: /(?:=\s{0,8}-?\d+|\bid\s{0,8}=\s{0,8}\w+)\s+or\s+(\d+)\s{0,8}=\s{0,8}(\d+)\b/gi,
    score: 0.8,
    check: (m) => m[1] === m[2],
  },
  {
    kind: "tautology-comment",
    re: /\bor\s+(\d+)\s{0,8}=\s{0,8}(\d+)\s{0,8}(?:--|#|\/\*|;)/gi,
    score: 0.85,
    check: (m) => m[1] === m[2],
  },
  {
    kind: "bare-tautology",
    re: /\bor\s+(\d+)\s{0,8}=\s{0,8}(\d+)\b/gi,
    score: 0.35,
    check: (m) => m[1] === m[2],
  },
  {
    kind: "union-select-breakout",
    re: /(?:['"`)]|\b\d+)\s{0,8}union(?:\s+all|\s+distinct)?\s+select\b/gi,
    score: 0.88,
  },
  {
    kind: "union-select-probe",
    re: /\bunion(?:\s+all)?\s+select\s+(?:null\s{0,8},|@@version|version\(\)|user\(\)|database\(\)|\d+\s{0,8},\s{0,8}\d+\s{0,8},|[^;]{0,80}\binformation_schema\b|[^;]{0,80}\bfrom\s+(?:users|admins?|accounts|mysql\.user|pg_shadow)\b[^;]{0,20}--)/gi,
    score: 0.85,
  },
  { kind: "union-select", re: /\bunion(?:\s+all)?\s+select\b/gi, score: 0.3 },
  {
    kind: "stacked-query",
    re: /['"`)]\s{0,8};\s{0,8}(?:drop|delete|truncate|insert|update|alter|create|exec|execute|shutdown|declare|grant)\b/gi,
    score: 0.9,
  },
  { kind: "stacked-drop", re: /(?:^|[=\s])\d+\s{0,8};\s{0,8}(?:drop|shutdown|truncate)\b/gi, score: 0.8 },
  { kind: "comment-breakout", re: /\w['"`]\s{0,8}\)?\s{0,8}(?:--|#|\/\*)(?:\s|$)/gm, score: 0.7 },
  {
    kind: "time-delay",
    re: /(?:['"`)]|\band|\bor|;)\s{0,8}\(?\s{0,8}(?:select\s+\d+\s+from\s+)?(?:sleep|pg_sleep|benchmark)\s{0,8}\(/gi,
    score: 0.85,
  },
  { kind: "waitfor-delay", re: /\bwaitfor\s+delay\s+['"]/gi, score: 0.88 },
  { kind: "command-exec", re: /\bxp_cmdshell\b|\bexec\s+master\.\./gi, score: 0.85 },
  { kind: "file-access", re: /\bload_file\s{0,8}\(|\binto\s+(?:out|dump)file\b/gi, score: 0.7 },
  {
    kind: "error-based",
    re: /\b(?:extractvalue|updatexml)\s{0,8}\(\s{0,8}\d+\s{0,8},\s{0,8}concat\s{0,8}\(/gi,
    score: 0.85,
  },
];

const RE_PERCENT = /%[0-9a-fA-F]{2}/;

function normalize(text: string): string {
  let s = text;
  if (RE_PERCENT.test(s)) {
    try {
      s = decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      s = s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    }
  }
  // Inline comments as whitespace: UNION/**/SELECT. Same length keeps offsets aligned.
  return s.replace(/\/\*[^*]{0,200}\*\//g, (c) => " ".repeat(c.length));
}

export function scanSqlInjection(text: string): ScanResult {
  const f = new Findings();
  const s = normalize(text);
  const spans = s === text ? codeSpans(text) : [];
  for (const p of PATTERNS) {
    p.re.lastIndex = 0;
    for (let m = p.re.exec(s); m !== null; m = p.re.exec(s)) {
      if (m[0].length === 0) p.re.lastIndex++;
      if (p.check && !p.check(m)) continue;
      const discount = inRanges(spans, m.index) ? 0.6 : 1;
      f.add(p.kind, p.score * discount, excerpt(m[0], 40), m.index);
    }
  }
  return f.toResult(SQL_INJECTION, "max");
}
