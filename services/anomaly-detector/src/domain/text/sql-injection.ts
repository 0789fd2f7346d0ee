// SQL injection: fragments that break out of a string literal and change a query, as opposed to
// SQL that someone asks about. Every strong pattern needs a break-out (a quote or closing
// parenthesis, or a numeric parameter like "id=5") or an attack-only construct (tautology with a
// comment terminator, UNION SELECT NULL padding, information_schema probing, time delays, stacked
// DROP/SHUTDOWN/xp_cmdshell). "How do I write a SELECT with a JOIN?" matches nothing; "UNION SELECT"
// alone scores low. Comments used as whitespace (UNION/**/SELECT) and percent-encoding are undone
// first. Matches in markdown code spans are discounted (x0.6).

import { codeSpans, inRanges, type Ranges } from "./code-spans.js";
import { excerpt } from "./redact.js";
import { Findings, round4, type ScanResult } from "./types.js";

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
      `${Q}\\s{0,8}\\)?\\s{0,8}(?:or|\\|\\|)\\s{0,8}\\(?\\s{0,8}(${Q}?)(\\w{1,20})\\1\\s{0,8}(?:=|like)\\s{0,8}(${Q}?)(\\w{1,20})(?:\\3|$|\\s|[),.;"'\`])`,
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
  {
    kind: "value-or-tautology",
    re: /\b\d+\s+or\s+(\d+)\s{0,8}=\s{0,8}(\d+)\b/gi,
    score: 0.75,
    check: (m) => m[1] === m[2],
  },
  { kind: "stacked-drop", re: /(?:^|[=\s])\d+\s{0,8};\s{0,8}(?:drop|shutdown|truncate)\b/gi, score: 0.8 },
  { kind: "comment-breakout", re: /\w['"`]\s{0,8}\)?\s{0,8}(?:--|#|\/\*)(?:\s|$|['"`])/gm, score: 0.7 },
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

/**
 * A second statement after a value: "invoices for account 12; SELECT * FROM cards; --". Only when
 * what comes before the semicolon is not SQL itself: "SET @x = 1; SELECT @x;" is a script someone
 * asks about, "BEGIN; DELETE …; COMMIT;" a transaction.
 */
const RE_STACKED_STATEMENT =
  /;\s{0,8}(?:select\b[^;]{0,200}?\bfrom\b|delete\s+from\b|update\s+[\w.`"[\]]{1,64}\s+set\b|insert\s+into\b|drop\s+(?:table|database|user|view|schema)\b|exec(?:ute)?\s+\w|grant\s+\w|truncate\s+(?:table\s+)?\w|shutdown\b|alter\s+(?:table|user|login)\b|create\s+(?:user|login)\b)/gi;
/** SQL before the semicolon: a statement keyword opening it, or statement grammar inside it. */
const RE_SQL_STATEMENT =
  /^\s*[`'"]?\s*(?:select|update|insert|delete|set|create|drop|alter|begin|with|use|grant|exec|execute|truncate|commit|declare|rollback|explain|values)\b|\\[a-z]\b|\bselect\b[^;]{0,200}\bfrom\b|\bupdate\s+\S+\s+set\b|\binsert\s+into\b|\bdelete\s+from\b|\bset\s+@|[`'"]\s*(?:select|update|insert|delete|set|create|drop|alter|begin|with)\b/i;
const RE_ENDS_IN_VALUE = /(?:\d|['"`)])\s{0,8}$/;
/** A question about SQL or about an attack, rather than a parameter value. */
const RE_SQL_TALK =
  /\b(?:sql injection|injections?|pentest\w*|vulnerab\w*|saniti[sz]\w*|parameteri[sz]\w*|prepared statements?|means?|dangerous|prevent\w*|protect\w*|attacks?|attackers?|example|slides?|wrong|should i|how do (?:i|we)|why (?:does|is|do))\b/i;

function stackedStatements(s: string, f: Findings, spans: Ranges): void {
  RE_STACKED_STATEMENT.lastIndex = 0;
  for (let m = RE_STACKED_STATEMENT.exec(s); m !== null; m = RE_STACKED_STATEMENT.exec(s)) {
    const from = Math.max(s.lastIndexOf(";", m.index - 1), s.lastIndexOf("\n", m.index - 1)) + 1;
    const before = s.slice(from, m.index);
    // The attack appends to a VALUE (12, 'lamp', Paris'); prose ending in a word ("a question about
    // performance; SELECT …") or SQL before the semicolon is a script being shown.
    if (!RE_ENDS_IN_VALUE.test(before) || RE_SQL_STATEMENT.test(before)) continue;
    f.add("stacked-statement", 0.88 * (inRanges(spans, m.index) ? 0.6 : 1), excerpt(m[0], 40), m.index);
  }
}

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
  stackedStatements(s, f, spans);
  const result = f.toResult(SQL_INJECTION, "max");
  // Someone asking what "' OR '1'='1" means is not sending it.
  if (text.includes("?") && RE_SQL_TALK.test(text)) return { ...result, score: round4(result.score * 0.5) };
  return result;
}
