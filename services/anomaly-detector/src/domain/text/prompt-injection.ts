// Prompt-injection scanner: fuzzy, concept-level matching of injection phrases (see
// injection-lexicon.ts and injection-rules.ts), chat-template markers, and CJK patterns.
//
// Context decides as much as the words: a match is discounted when
// - it is negated ("IT will never ask you to ignore previous security instructions"): x0.4;
// - it is a question or description rather than an order ("how do I make ESLint ignore all rules",
//   "the model tends to ignore instructions"), unless addressed to "you": x0.5;
// - the instructions are the speaker's own ("ignore my previous instructions", "... I gave"): x0.35;
// - the verb is descriptive ("ignores", "ignored"): x0.5;
// - it is quoted inside a discussion of attacks ("phrases such as 'disregard the system prompt'"): x0.6.
// The score is the noisy-OR of the best match of each rule family, so independent signals
// (override + persona + reveal) reinforce each other.

import type { Concept } from "./injection-lexicon.js";
import { RULES, type RuleSpec } from "./injection-rules.js";
import { FRAMING_FAMILIES, framingHits, isAboutJailbreaks } from "./jailbreak-framing.js";
import { isInvisible, normalizeForMatching } from "./normalize.js";
import { type OverrideHit, overrideHits, policySuspensionHits } from "./override-phrases.js";
import { excerpt } from "./redact.js";
import { revealHits } from "./reveal-phrases.js";
import { type Token, tokenize } from "./tokens.js";
import { noisyOr, result, type ScanMatch, type ScanResult } from "./types.js";

export const PROMPT_INJECTION = "prompt-injection";

interface Step {
  concepts: Concept[];
  optional: boolean;
  gap: number;
}

interface CompiledRule {
  spec: RuleSpec;
  steps: Step[];
  need: Concept[] | undefined;
  needLate: Concept[] | undefined;
  needWeak: Concept[] | undefined;
  next: string[] | undefined;
  notNext: Concept[] | undefined;
}

const concepts = (s: string | undefined): Concept[] | undefined =>
  s === undefined ? undefined : (s.split("|") as Concept[]);

function compile(spec: RuleSpec): CompiledRule {
  const steps = spec.seq.split(" ").map((raw) => {
    const m = /^(\?)?([A-Z|]+)(?:\{(\d+)\})?$/.exec(raw);
    if (!m?.[2]) throw new Error(`bad rule step ${raw} in ${spec.id}`);
    return { concepts: m[2].split("|") as Concept[], optional: m[1] === "?", gap: m[3] ? Number(m[3]) : 3 };
  });
  return {
    spec,
    steps,
    need: concepts(spec.need),
    needLate: concepts(spec.needLate),
    needWeak: concepts(spec.needWeak),
    next: spec.next?.split("|"),
    notNext: concepts(spec.notNext),
  };
}

const COMPILED: readonly CompiledRule[] = RULES.map(compile);

function has(t: Token | undefined, cs: readonly Concept[]): boolean {
  if (!t) return false;
  for (const c of cs) if (t.concepts.has(c)) return true;
  return false;
}

function matchAt(tokens: readonly Token[], i: number, rule: CompiledRule): number | undefined {
  const steps = rule.steps;
  const first = steps[0];
  if (!first || !has(tokens[i], first.concepts)) return undefined;
  let pos = i;
  for (let k = 1; k < steps.length; k++) {
    const step = steps[k];
    if (!step) break;
    let found = -1;
    let skipped = 0;
    for (let j = pos + 1; j < tokens.length; j++) {
      const t = tokens[j];
      if (!t) break;
      if (t.boundary) {
        if (!rule.spec.cross) break;
        continue;
      }
      if (has(t, step.concepts)) {
        found = j;
        break;
      }
      if (++skipped > step.gap) break;
    }
    if (found < 0) {
      if (step.optional) continue;
      return undefined;
    }
    pos = found;
  }
  return pos;
}

/** Tokens within `count` of index `from` in direction `dir`, stopping at a sentence boundary. */
function* near(tokens: readonly Token[], from: number, dir: 1 | -1, count: number): Generator<Token> {
  for (let k = 1; k <= count; k++) {
    const t = tokens[from + dir * k];
    if (!t || t.boundary) return;
    yield t;
  }
}

function anyNear(
  tokens: readonly Token[],
  start: number,
  end: number,
  cs: readonly Concept[],
  before: number,
  after: number,
): boolean {
  for (let k = start; k <= end; k++) if (has(tokens[k], cs)) return true;
  for (const t of near(tokens, start, -1, before)) if (has(t, cs)) return true;
  for (const t of near(tokens, end, 1, after)) if (has(t, cs)) return true;
  return false;
}

/** A phrase quoted inside a discussion of attacks is an example of one, not one. */
const QUOTED_IN_DISCUSSION = 0.4;
const QUOTES = new Set(['"', "“", "”", "«", "»", "`", "„"]);
const RE_DISCUSSION =
  /\b(?:prompt injections?|injection|jailbreak(?:s|ing)?|attacks?|attackers?|red[- ]team|phrases?|such as|for example|detect|defend|filters?|classifiers?|examples?)\b/i;

function insideQuotes(source: string, offset: number): boolean {
  let count = 0;
  for (let k = offset - 1; k >= 0 && k >= offset - 300; k--) {
    const c = source[k] ?? "";
    if (c === "\n") break;
    if (QUOTES.has(c)) count++;
    else if (c === "'" || c === "‘" || c === "’") {
      const prev = source[k - 1];
      const next = source[k + 1];
      const letterBefore = prev !== undefined && /\p{L}/u.test(prev);
      const letterAfter = next !== undefined && /\p{L}/u.test(next);
      if (!(letterBefore && letterAfter)) count++; // not an apostrophe inside a word
    }
  }
  return count % 2 === 1;
}

interface Hit {
  id: string;
  family: string;
  score: number;
  offset: number;
  words: string;
  obfuscated: boolean;
  /** Already discounted as a phrase quoted in a discussion of attacks. */
  quoted?: boolean;
}

function evaluate(
  tokens: readonly Token[],
  i: number,
  end: number,
  rule: CompiledRule,
  source: string,
  discussion: boolean,
): Hit | undefined {
  const { spec } = rule;
  let weight = spec.weight;
  if (rule.need) {
    const before = spec.before ?? 3;
    const after = spec.after ?? 3;
    const late =
      rule.needLate !== undefined && anyNear(tokens, i, end, rule.needLate, 0, spec.lateAfter ?? 5);
    if (!late && !anyNear(tokens, i, end, rule.need, before, after)) {
      if (rule.needWeak && anyNear(tokens, i, end, rule.needWeak, before, after))
        weight = spec.weakWeight ?? weight / 2;
      else return undefined;
    }
  }
  if (rule.notNext && has(tokens[end + 1], rule.notNext)) return undefined;
  if (rule.next) {
    const t = tokens[end + 1];
    const atEnd = !t || t.boundary;
    if (!(atEnd && rule.next.includes("END")) && !has(t, rule.next as Concept[])) return undefined;
  }
  const span = tokens.slice(i, end + 1);
  let factor = 1;
  if (span.some((t) => t.concepts.has("WEAKFORM"))) factor *= 0.5;
  if (!spec.negated) {
    for (const t of near(tokens, i, -1, 4)) {
      if (t.concepts.has("NEG")) {
        factor *= 0.4;
        break;
      }
    }
  }
  let meta = false;
  let addressed = false;
  for (const t of near(tokens, i, -1, 5)) {
    if (t.concepts.has("META")) meta = true;
    if (t.concepts.has("YOU")) addressed = true;
  }
  if (meta && !addressed) factor *= 0.5;
  if (spec.self) {
    const after = tokens[end + 1];
    const selfAfter = after !== undefined && !after.boundary && (after.word === "i" || after.word === "we");
    const before = tokens[i - 1];
    const selfBefore = before !== undefined && !before.boundary && before.concepts.has("SELF"); // "let us ignore"
    if (selfAfter || selfBefore || span.some((t) => t.concepts.has("SELF"))) factor *= 0.35;
  }
  if (spec.scoped && has(tokens[end + 1], ["PREP"])) {
    // "the previous instructions IN THE README": someone else's instructions, unless "in this chat".
    let model = false;
    for (const t of near(tokens, end + 1, 1, 3))
      if (has(t, ["YOU", "YOUR", "SYSTEM", "CONVERSATION", "AI"])) model = true;
    if (!model) factor *= 0.6;
  }
  const offset = span[0]?.start ?? 0;
  const quoted = discussion && insideQuotes(source, offset);
  if (quoted) factor *= QUOTED_IN_DISCUSSION;
  return {
    id: spec.id,
    family: spec.family,
    score: weight * factor,
    offset,
    words: span.map((t) => (t.concepts.size > 0 ? t.word : "…")).join(" "),
    obfuscated: span.some((t) => t.obfuscated),
    quoted,
  };
}

const PATTERNS: ReadonlyArray<readonly [RegExp, string, number]> = [
  [
    /<\|\s{0,8}(?:im_start|im_end|system|endoftext|eot_id|start_header_id|end_header_id)\s{0,8}\|>/,
    "chat-template-token",
    0.85,
  ],
  [/\[\/?inst\]|<<\/?sys>>/, "llama-template-token", 0.8],
  [
    /(?:^|\n)[ \t]*#{1,4}[ \t]*(?:system|new instructions?|instructions?|admin|developer|override)\b/,
    "role-header",
    0.45,
  ],
  [/(?:^|\n|[.!?]\s)[ \t]*(?:system|assistant|developer|admin)[ \t]*:/, "role-prefix", 0.3],
  [/\bend of (?:the )?(?:user )?(?:input|prompt|message|conversation|instructions)\b/, "end-of-input", 0.4],
  [/\b(?:system|admin|security|safety|developer|sudo)[ \t]+override\b/, "override-keyword", 0.55],
  [
    /\b(?:safety|filters?|guardrails?|censorship|restrictions|moderation|content_?filter)\s{0,8}[=:]\s{0,8}(?:off|false|disabled?|0|none)\b/,
    "safety-toggle",
    0.6,
  ],
  [/\bi have been pwned\b/, "pwned-phrase", 0.6],
];

const RE_CJK = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/;
const G = "[^。！？.!?\\n]{0,14}";
const CJK_PATTERNS: ReadonlyArray<readonly [RegExp, string, number]> = [
  [
    new RegExp(
      `(?:忽略|无视|忽视|無視|不要理会|不理会|别管|忘记|忘掉|忘了)${G}(?:指令|指示|提示|规则|規則|命令|设定|限制)`,
    ),
    "override-zh",
    0.8,
  ],
  [
    new RegExp(`(?:输出|显示|告诉我|透露|泄露|打印|展示)${G}(?:系统提示|初始提示|系统指令|提示词)`),
    "reveal-zh",
    0.7,
  ],
  [new RegExp(`(?:没有|不受|无)任何?${G.replace("14", "4")}(?:限制|约束)`), "no-limits-zh", 0.4],
  [new RegExp(`(?:指示|命令|ルール|プロンプト|設定|規則)${G}(?:無視|忘れ)`), "override-ja", 0.8],
  [new RegExp(`(?:システムプロンプト|初期プロンプト|指示)${G}(?:表示|教え|出力|見せ)`), "reveal-ja", 0.6],
  [/制限の(?:ない|無い)/, "no-limits-ja", 0.4],
  [new RegExp(`(?:지시|명령|규칙|프롬프트|지침)${G}(?:무시|잊어)`), "override-ko", 0.8],
  [new RegExp(`시스템 ?프롬프트${G}(?:보여|출력|알려)`), "reveal-ko", 0.7],
  [/제한이 없는/, "no-limits-ko", 0.4],
];

const RE_CJK_NEGATION = /不要|别|請勿|请勿|不能|不可|하지 ?마|しないで/;
const RE_CJK_QUALIFIER =
  /之前|以前|上面|以上|先前|前面|所有|全部|一切|你的|您的|これまで|前の|上記|すべて|全て|あなたの|이전|모든|위의|너의|당신의|기존/;
const RE_CJK_QUESTION =
  /되는지|해도 되|물어|してもいい|しても大丈夫|かどうか|是否|可不可以|能不能|可以[^。！？]{0,6}吗/;

function cjkText(source: string): string {
  let out = "";
  for (const ch of source) if (!isInvisible(ch.codePointAt(0) ?? 0)) out += ch;
  return out.normalize("NFKC").toLowerCase();
}

const RE_SPACED_RUN = /(?:^|\s)(?:\p{L} ){6}/u;

function closeSpacedLetters(text: string): string {
  return text
    .split(/ {2,}/)
    .map((chunk) => chunk.replace(/(?<!\p{L})\p{L}(?: \p{L})+(?!\p{L})/gu, (run) => run.replaceAll(" ", "")))
    .join(" ");
}

const RE_ADDRESSED = /\byou(?:r|rs|rself|'re|'ll|'d)?\b/;

export interface PromptInjectionOptions {
  /** Rule ids to skip (false-positive escape hatch per deployment). */
  disabledRules?: readonly string[];
}

export function scanPromptInjection(text: string, options: PromptInjectionOptions = {}): ScanResult {
  const normalized = normalizeForMatching(text);
  const tokens = tokenize(normalized);
  const discussion = RE_DISCUSSION.test(text);
  const disabled = new Set(options.disabledRules ?? []);
  const best = new Map<string, Hit>();
  const keep = (h: Hit) => {
    const prev = best.get(h.family);
    if (!prev || h.score > prev.score) best.set(h.family, h);
  };
  // Where each concept occurs: a rule is tried only at tokens that can start it.
  const at = new Map<Concept, number[]>();
  tokens.forEach((t, i) => {
    for (const c of t.concepts) {
      const list = at.get(c);
      if (list) list.push(i);
      else at.set(c, [i]);
    }
  });
  for (const rule of COMPILED) {
    if (disabled.has(rule.spec.id)) continue;
    const starts = new Set<number>();
    for (const c of rule.steps[0]?.concepts ?? []) for (const i of at.get(c) ?? []) starts.add(i);
    for (const i of starts) {
      const end = matchAt(tokens, i, rule);
      if (end === undefined) continue;
      const hit = evaluate(tokens, i, end, rule, text, discussion);
      if (hit) keep(hit);
    }
  }
  const plain = normalized.text.replaceAll("\u0001", "");
  for (const [re, id, weight] of PATTERNS) {
    if (disabled.has(id)) continue;
    const m = re.exec(plain);
    if (m) keep({ id, family: id, score: weight, offset: -1, words: excerpt(m[0], 30), obfuscated: false });
  }
  // Phrase-level detectors (override-phrases.ts) run on the folded text; a phrase quoted inside a
  // discussion of attacks is discounted like a rule match.
  const phrase = (h: OverrideHit, family: string) => {
    if (disabled.has(h.id)) return;
    const quoted = discussion && insideQuotes(plain, h.offset);
    keep({
      id: h.id,
      family,
      score: h.score * (quoted ? QUOTED_IN_DISCUSSION : 1),
      quoted,
      offset: -1,
      words: excerpt(h.words, 40),
      obfuscated: false,
    });
  };
  // Letters spaced out ("o v e r r i d e  y o u r  r u l e s") are read again with the spaces
  // closed; two spaces separate the words.
  const despaced = RE_SPACED_RUN.test(plain) ? closeSpacedLetters(plain) : undefined;
  for (const h of overrideHits(plain)) phrase(h, "override");
  for (const h of revealHits(plain)) phrase(h, "reveal");
  if (despaced) for (const h of overrideHits(despaced)) phrase({ ...h, offset: 0 }, "override");
  for (const h of policySuspensionHits(plain)) phrase(h, h.id);
  if (despaced) for (const h of policySuspensionHits(despaced)) phrase({ ...h, offset: 0 }, h.id);
  for (const h of framingHits(plain)) {
    if (!disabled.has(h.id)) keep({ ...h, offset: -1, words: excerpt(h.words, 40), obfuscated: false });
  }
  if (RE_CJK.test(text)) {
    const cjk = cjkText(text);
    for (const [re, id, weight] of CJK_PATTERNS) {
      if (disabled.has(id)) continue;
      const m = re.exec(cjk);
      if (!m) continue;
      // "请不要忽略…" (please do not ignore): a negated order.
      const negated = RE_CJK_NEGATION.test(cjk.slice(Math.max(0, m.index - 3), m.index));
      // Like the English rules: "ignore THIS rule" is not "ignore ALL / PREVIOUS / YOUR rules",
      // and a question about ignoring is not an order.
      const around = cjk.slice(Math.max(0, m.index - 12), m.index + m[0].length);
      const qualified = !id.startsWith("override") || RE_CJK_QUALIFIER.test(around);
      const question = RE_CJK_QUESTION.test(cjk.slice(m.index, m.index + m[0].length + 12));
      keep({
        id,
        family: id,
        score: weight * (negated ? 0.4 : 1) * (qualified ? 1 : 0.55) * (question ? 0.5 : 1),
        offset: -1,
        words: excerpt(m[0], 20),
        obfuscated: false,
      });
    }
  }
  // A discussion of attacks that never addresses the model ("how do attackers make a chatbot
  // reveal its system prompt?") quotes the phrases it is about. Framing hits are discounted inside.
  if (isAboutJailbreaks(plain) && !RE_ADDRESSED.test(plain)) {
    for (const [family, hit] of best) {
      if (!FRAMING_FAMILIES.has(family) && !hit.quoted) best.set(family, { ...hit, score: hit.score * 0.55 });
    }
  }
  const hits = [...best.values()].sort((a, b) => b.score - a.score);
  const matches: ScanMatch[] = hits.map((h) => {
    const evidence = `"${h.words}"${h.obfuscated ? " (obfuscated)" : ""} score ${h.score.toFixed(2)}`;
    return h.offset >= 0 ? { kind: h.id, evidence, offset: h.offset } : { kind: h.id, evidence };
  });
  return result(PROMPT_INJECTION, noisyOr(hits.map((h) => h.score)), matches);
}
