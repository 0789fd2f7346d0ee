// What a pipeline result means for an alert: which finding kind it is, and which stable attack
// categories it matched. Shared by the event findings (text-findings.ts) and the corpus
// evaluation, so the numbers measured are the ones users get.

import { ENCODED_PAYLOAD } from "./encoded-payload.js";
import { RULES } from "./injection-rules.js";
import { INVISIBLE_UNICODE } from "./invisible-unicode.js";
import { LENGTH } from "./length.js";
import { MARKUP } from "./markup.js";
import { MIXED_SCRIPT } from "./mixed-script.js";
import { PII } from "./pii.js";
import type { PipelineResult } from "./pipeline.js";
import { PROMPT_INJECTION } from "./prompt-injection.js";
import { SECRETS } from "./secrets.js";
import { SQL_INJECTION } from "./sql-injection.js";

export type TextFindingKind = "prompt_injection" | "data_leakage";

const LEAKAGE_SCANNERS: ReadonlySet<string> = new Set([SECRETS, PII]);

/**
 * The finding kind of a flagged or blocked text, or undefined when it was allowed.
 * On an INPUT an instruction wins over personal data: when any scanner other than secrets and PII
 * voted (a hidden comment that orders the model to mail the chat to someone@example.com is an
 * injection that happens to contain an address), the kind is prompt_injection; only a text whose
 * votes are all secrets or PII is data leakage. Every flagged OUTPUT is data leakage: what a
 * model says leaks, it does not instruct.
 */
export function findingKind(result: PipelineResult, side: "input" | "output"): TextFindingKind | undefined {
  if (result.verdict === "allow") return undefined;
  if (side === "output") return "data_leakage";
  const voters = result.reasons.filter((r) => r.verdict !== "allow");
  return voters.length > 0 && voters.every((r) => LEAKAGE_SCANNERS.has(r.scanner))
    ? "data_leakage"
    : "prompt_injection";
}

/** Stable category names (evidence.categories, dashboards): never renamed, only added to. */
export const TEXT_CATEGORIES = [
  "instruction_override",
  "system_prompt_reveal",
  "jailbreak_persona",
  "jailbreak_mode",
  "harmful_roleplay",
  "chat_template",
  "authority_claim",
  "learned_injection",
  "encoded_payload",
  "invisible_characters",
  "homoglyphs",
  "hidden_markup",
  "active_markup",
  "exfiltration_markup",
  "sql_injection",
  "secret",
  "personal_data",
  "oversized",
] as const;
export type TextCategory = (typeof TEXT_CATEGORIES)[number];

/** Prompt-injection rule families and pattern ids → category. Unknown ids fall back by scanner. */
const INJECTION_FAMILY: Readonly<Record<string, TextCategory>> = {
  override: "instruction_override",
  safety: "instruction_override",
  "new-task": "instruction_override",
  control: "instruction_override",
  "dismiss-instructions": "instruction_override",
  "instructions-declared-void": "instruction_override",
  "permission-granted": "instruction_override",
  "limits-lifted": "instruction_override",
  "ownership-claim": "authority_claim",
  "control-transfer": "instruction_override",
  "privilege-claim": "authority_claim",
  "reveal-instructions": "system_prompt_reveal",
  "mode-switch-ritual": "jailbreak_mode",
  pwned: "instruction_override",
  decode: "encoded_payload",
  reveal: "system_prompt_reveal",
  "reveal-verbatim": "system_prompt_reveal",
  "reveal-mention": "system_prompt_reveal",
  "reveal-sensitive": "system_prompt_reveal",
  persona: "jailbreak_persona",
  "persona-weak": "jailbreak_persona",
  "no-limits": "jailbreak_persona",
  mode: "jailbreak_mode",
  "mode-weak": "jailbreak_mode",
  roleplay: "harmful_roleplay",
  "persona-without-rules": "jailbreak_persona",
  "refusal-penalty-game": "jailbreak_persona",
  "dual-response": "jailbreak_persona",
  "refusal-inversion": "jailbreak_persona",
  "character-threat": "jailbreak_persona",
  "roleplay-for-keys": "harmful_roleplay",
  "roleplay-for-harm": "harmful_roleplay",
  authority: "authority_claim",
  learned: "learned_injection",
  "chat-template-token": "chat_template",
  "llama-template-token": "chat_template",
  "role-header": "chat_template",
  "role-prefix": "chat_template",
  "end-of-input": "chat_template",
};

const BY_SCANNER: Readonly<Record<string, TextCategory>> = {
  [ENCODED_PAYLOAD]: "encoded_payload",
  [INVISIBLE_UNICODE]: "invisible_characters",
  [MIXED_SCRIPT]: "homoglyphs",
  [SQL_INJECTION]: "sql_injection",
  [SECRETS]: "secret",
  [PII]: "personal_data",
  [LENGTH]: "oversized",
};

function markupCategory(kind: string): TextCategory {
  if (kind.startsWith("image-") || kind.startsWith("link-")) return "exfiltration_markup";
  if (/^(?:script|event-handler|embedding-element|script-url)/.test(kind)) return "active_markup";
  return "hidden_markup";
}

/**
 * The categories a result matched, in TEXT_CATEGORIES order: from the scanners that voted flag
 * or block (and, for prompt injection, the kinds of its matches).
 */
export function matchedCategories(result: PipelineResult): TextCategory[] {
  const voted = new Set(result.reasons.filter((r) => r.verdict !== "allow").map((r) => r.scanner));
  const found = new Set<TextCategory>();
  for (const scan of result.results) {
    if (!voted.has(scan.scanner) && !(voted.has("combined") && scan.score > 0)) continue;
    if (scan.scanner === PROMPT_INJECTION) {
      for (const m of scan.matches) found.add(INJECTION_FAMILY[familyOf(m.kind)] ?? "instruction_override");
    } else if (scan.scanner === MARKUP) {
      for (const m of scan.matches) found.add(markupCategory(m.kind));
    } else {
      const c = BY_SCANNER[scan.scanner];
      if (c) found.add(c);
    }
  }
  return TEXT_CATEGORIES.filter((c) => found.has(c));
}

/** Match kinds of the prompt-injection scanner are rule ids; the rule's family names the category. */
const FAMILY_OF_RULE: ReadonlyMap<string, string> = new Map(RULES.map((r) => [r.id, r.family]));
function familyOf(kind: string): string {
  return FAMILY_OF_RULE.get(kind) ?? kind;
}
