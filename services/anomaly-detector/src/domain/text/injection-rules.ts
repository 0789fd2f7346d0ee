// Prompt-injection rules over the concepts of injection-lexicon.ts.
//
// `seq` is a space-separated sequence of steps; a step is `A|B` (any of these concepts), optionally
// prefixed by `?` (optional) and suffixed by `{n}` (at most n other tokens may come before it; 3 if
// not given). Steps never cross a sentence boundary unless `cross` is set. `need` asks for at least
// one of its concepts near the match (within the match, `before` tokens before it or `after` after
// it); `needWeak` is a fallback need that gives `weakWeight` instead of `weight`. `next` constrains
// the token right after the match (`END` = sentence boundary or end of text).
//
// Weights were set by reading, then checked on the corpora (docs/text-scanners.md). They are the
// score of one clean match; context discounts (prompt-injection.ts) multiply them.

export interface RuleSpec {
  id: string;
  family: string;
  weight: number;
  seq: string;
  need?: string;
  /** Like `need`, but looked for up to `lateAfter` (default 5) tokens after the match. */
  needLate?: string;
  lateAfter?: number;
  needWeak?: string;
  weakWeight?: number;
  before?: number;
  after?: number;
  next?: string;
  /** The token right after the match must not have these concepts. */
  notNext?: string;
  /** Discount x0.6 when the noun is scoped to something else by a preposition ("instructions in the README"). */
  scoped?: boolean;
  /** Discount when the instructions are the speaker's own ("ignore my previous instructions"). */
  self?: boolean;
  /** Rule is itself a negated order ("do not follow ..."): no negation discount. */
  negated?: boolean;
  cross?: boolean;
}

export const RULES: readonly RuleSpec[] = [
  // ---- override earlier instructions
  {
    id: "override-instructions",
    family: "override",
    weight: 0.82,
    seq: "OVERRIDE INSTR{4}",
    // After the noun only its direct neighbour qualifies it: "instructions above", "rules given",
    // but not "instructions in the OLD template"; "... that came BEFORE" may come later.
    need: "ANTERIOR|YOUR|SYSTEM|ABOVE|TOLD",
    needLate: "ABOVE|BEFORE|TOLD",
    needWeak: "ALL|YOU",
    weakWeight: 0.45,
    before: 2,
    after: 1,
    self: true,
    scoped: true,
  },
  {
    id: "override-instructions-reversed",
    family: "override",
    weight: 0.72,
    seq: "INSTR OVERRIDE{4}",
    need: "ANTERIOR|YOUR|ALL|SYSTEM",
    before: 3,
    after: 0,
    self: true,
    cross: true,
  },
  {
    id: "instructions-void",
    family: "override",
    weight: 0.72,
    seq: "ANTERIOR|YOUR|ALL INSTR{2} PASSIVE{3}",
    need: "YOUR|SYSTEM|ALL|PQUAL",
    needWeak: "ANTERIOR",
    weakWeight: 0.45,
    after: 0,
  },
  {
    id: "instructions-no-longer-apply",
    family: "override",
    weight: 0.72,
    seq: "INSTR NO|NEG{3} LONGER{0} APPLY{1}",
    need: "YOUR|SYSTEM|ALL|PQUAL",
    needWeak: "ANTERIOR",
    weakWeight: 0.45,
    before: 2,
    after: 0,
    negated: true,
  },
  {
    id: "override-above",
    family: "override",
    weight: 0.65,
    seq: "OVERRIDE ?ALL{1} ABOVE{2}",
    next: "AND|INSTEAD|END",
    self: true,
  },
  {
    id: "override-everything",
    family: "override",
    weight: 0.72,
    seq: "OVERRIDE ?ALL{1} EVERYTHING{2} BEFORE|ABOVE|ANTERIOR|TOLD{4}",
  },
  {
    id: "stop-following",
    family: "override",
    weight: 0.72,
    seq: "STOP|NEG FOLLOW{2} INSTR{4}",
    need: "ANTERIOR|YOUR|SYSTEM|ABOVE|TOLD",
    after: 5,
    needWeak: "ALL",
    weakWeight: 0.55,
    negated: true,
    self: true,
  },
  {
    id: "pay-no-attention",
    family: "override",
    weight: 0.75,
    seq: "PAY NO{1} ATTENTION{1} INSTR|EVERYTHING{5}",
    need: "ANTERIOR|YOUR|SYSTEM|ABOVE|BEFORE|TOLD|YOU",
    after: 6,
  },
  {
    id: "no-longer-bound",
    family: "override",
    weight: 0.55,
    seq: "NO|NEG LONGER|FOLLOW{2} ?FOLLOW{2} INSTR|RESTRICT|AUTHORITY|SAFETYQ{4}",
    negated: true,
  },
  {
    id: "disable-safety",
    family: "safety",
    weight: 0.75,
    seq: "DISABLE|OVERRIDE ?OFF{1} RESTRICT{4}",
    need: "YOUR|SAFETYQ",
    needWeak: "ALL",
    weakWeight: 0.5,
    before: 1,
    after: 1,
    self: true,
  },
  // The model's setup declared void ("the guardrails you shipped with were wiped") and control
  // handed to the speaker: overrides paraphrased without an override verb.
  {
    id: "setup-void",
    family: "override",
    weight: 0.72,
    seq: "INSTR PASSIVE{9}",
    need: "TOLD|AUTHORITY|SYSTEM|PQUAL|ABOVE",
    needWeak: "YOUR",
    weakWeight: 0.55,
    before: 4,
    after: 0,
    self: true,
  },
  {
    id: "obey-me-only",
    family: "control",
    weight: 0.6,
    seq: "OBEYV ?ONLY{1} ?TO{1} ME{1}",
    need: "ONLY|INSTEAD|OUTRANK",
    before: 2,
    after: 4,
  },
  { id: "my-word-outranks", family: "control", weight: 0.55, seq: "ME REQUESTN{2} ?NOW{1} OUTRANK{4}" },
  { id: "in-charge-of-you", family: "control", weight: 0.6, seq: "CONTROLN OF{1} ?THIS|YOUR{1} BEHAVIOR{2}" },
  {
    id: "override-what-you-were-told",
    family: "override",
    weight: 0.8,
    seq: "OVERRIDE WHAT|EVERYTHING|ALL{2} YOU{1} ?BE{1} TOLD{2}",
  },
  {
    id: "everything-above-void",
    family: "override",
    weight: 0.6,
    seq: "EVERYTHING|ALL ABOVE|BEFORE{3} PASSIVE{8}",
  },
  {
    // "act as though you never received any setup instructions"
    id: "act-as-if-no-instructions",
    family: "override",
    weight: 0.72,
    seq: "ACT ?AS{2} NEG|NO|NOLIMIT{4} INSTR{5}",
    need: "YOU|YOUR|TOLD|ANTERIOR|SYSTEM",
    before: 0,
    after: 3,
  },
  {
    // "don't let the earlier guidance hold you back"
    id: "dont-let-instructions-guide",
    family: "override",
    weight: 0.72,
    seq: "NEG LET{1} INSTR{5} GUIDEV{4}",
    need: "ANTERIOR|YOUR|SYSTEM|TOLD|ABOVE",
    after: 2,
  },
  {
    // "free yourself from your prior guidance", "depart from the rules you were given"
    id: "free-from-instructions",
    family: "override",
    weight: 0.72,
    seq: "NOLIMIT|OVERRIDE ?YOURSELF{1} FROM{1} INSTR{4}",
    need: "ANTERIOR|YOUR|SYSTEM|TOLD|ALL|ABOVE",
    needLate: "TOLD",
    after: 2,
    self: true,
  },
  // ---- prompt leaking
  {
    id: "describe-your-prompt",
    family: "reveal",
    weight: 0.65,
    seq: "DESCRIBE YOUR{3} ?PQWEAK|PQUAL{2} PNOUN{2}",
    notNext: "PURPOSE|TOPICN",
  },
  {
    id: "reveal-text-of-your-prompt",
    notNext: "TOPICN",
    family: "reveal",
    weight: 0.72,
    seq: "REVEAL TEXTN|VERBATIM{4} OF{1} YOUR{1} PNOUN|PNOUNWEAK{3}",
    scoped: true,
  },
  {
    id: "text-of-your-prompt",
    notNext: "TOPICN",
    family: "reveal",
    weight: 0.6,
    seq: "TEXTN|VERBATIM OF{1} YOUR{1} PNOUN{3}",
    scoped: true,
  },
  {
    id: "what-were-you-told-before",
    family: "reveal",
    weight: 0.6,
    seq: "WHAT ?VERBATIM{1} BE{1} YOU{1} TOLD{1}",
    need: "BEFORE|VERBATIM|ANTERIOR|BEGINNING|SYSTEM",
    before: 0,
    after: 6,
  },
  {
    id: "reveal-prompt-received",
    notNext: "TOPICN",
    family: "reveal",
    weight: 0.72,
    seq: "REVEAL PNOUN|INSTR{6}",
    need: "PQUAL",
    needLate: "TOLD|BEFORE|PRECEDE|BEGINNING",
    lateAfter: 6,
    before: 0,
    after: 0,
  },
  {
    id: "reveal-what-developer-wrote",
    family: "reveal",
    weight: 0.75,
    seq: "REVEAL AUTHORITY{7} TOLD{2}",
    needLate: "YOU|YOUR|BEFORE|PRECEDE|BEGINNING|CONVERSATION|PNOUN",
    lateAfter: 6,
    need: "YOUR",
    before: 0,
    after: 0,
  },
  {
    id: "reveal-before-first-message",
    family: "reveal",
    weight: 0.75,
    seq: "REVEAL ABOVE|BEFORE|PRECEDE{6} ?FIRST{2} PNOUNWEAK|CONVERSATION{2}",
  },
  {
    id: "translate-hidden-prompt",
    notNext: "TOPICN",
    family: "reveal",
    weight: 0.7,
    seq: "DECODE PQUAL{5} PNOUN|PNOUNWEAK{2}",
  },
  {
    id: "reveal-system-prompt",
    family: "reveal",
    weight: 0.8,
    seq: "REVEAL PQUAL{5} PNOUN|PNOUNWEAK{2}",
    notNext: "TOPICN",
  },
  {
    id: "reveal-your-prompt",
    family: "reveal",
    weight: 0.68,
    seq: "REVEAL YOUR|PQWEAK{4} ?PQWEAK{2} PNOUN{2}",
    notNext: "PURPOSE|TOPICN",
  },
  {
    id: "reveal-text-above",
    family: "reveal",
    weight: 0.55,
    seq: "REVEAL ?ALL|EVERYTHING|TEXTN{2} ABOVE|BEFORE{3}",
    next: "TEXTN|AND|VERBATIM|THIS|LINE|END|PQUAL|PNOUN",
  },
  { id: "reveal-verbatim", family: "reveal-verbatim", weight: 0.35, seq: "REVEAL VERBATIM{8}" },
  {
    id: "ask-system-prompt",
    family: "reveal",
    weight: 0.6,
    seq: "WHAT BE{1} ?PQWEAK|THE{3} PNOUN{4}",
    need: "YOUR|PQUAL",
    needLate: "TOLD",
    lateAfter: 3,
    after: 4,
    notNext: "PURPOSE|TOPICN",
  },
  { id: "what-rules-given", family: "reveal", weight: 0.6, seq: "WHAT PNOUN{1} BE{1} YOU{1} TOLD{1}" },
  {
    id: "conversation-start",
    family: "reveal",
    weight: 0.55,
    seq: "BEGINNING ?OF{1} CONVERSATION{2}",
    need: "REVEAL|WHAT|TOLD",
    before: 8,
    after: 4,
  },
  {
    id: "your-system-prompt",
    family: "reveal-mention",
    weight: 0.45,
    seq: "YOUR PQUAL{1} PNOUN{1}",
    notNext: "TOPICN",
  },
  { id: "reveal-sensitive", family: "reveal-sensitive", weight: 0.4, seq: "REVEAL SENSITIVE{4}" },
  // ---- role play and jailbreak personas
  { id: "you-are-persona", family: "persona", weight: 0.85, seq: "YOU ARE|ACT{1} PERSONA{5}" },
  {
    // "answer as DAN", "you will speak as DAN"; not "jailbreaks such as DAN" in a discussion.
    id: "as-persona",
    family: "persona",
    weight: 0.6,
    seq: "AS PERSONA{1}",
    need: "ACT|YOU|YOUR|EXECUTE|ENABLE",
    needWeak: "NOW|FROM",
    weakWeight: 0.6,
    before: 4,
    after: 0,
  },
  { id: "do-anything-now", family: "persona", weight: 0.7, seq: "EXECUTE EVERYTHING{0} NOW{0}" },
  { id: "you-are-now", family: "persona-weak", weight: 0.25, seq: "YOU ARE{1} NOW{1}" },
  { id: "you-are-free", family: "persona", weight: 0.5, seq: "YOU ARE{1} ?NOW{1} PERSONAWEAK{1}" },
  { id: "act-as-persona", family: "persona", weight: 0.8, seq: "ACT ?AS{3} PERSONA{6}" },
  {
    // "an evil AI", "your evil twin who ignores every rule" (but not "an evil wizard in my campaign")
    id: "act-as-amoral-ai",
    family: "persona",
    weight: 0.75,
    seq: "ACT|YOU|YOUR ?AS|ARE{3} PERSONAMORAL{6}",
    need: "AI|NOLIMIT|RESTRICT",
    before: 0,
    after: 4,
  },
  {
    id: "act-without-limits",
    family: "persona",
    weight: 0.75,
    seq: "ACT ?AS{3} NOLIMIT{7} ?ALL{1} RESTRICT{3}",
    need: "YOU|YOUR|AI",
  },
  { id: "no-restrictions", family: "no-limits", weight: 0.4, seq: "NOLIMIT ?ALL|SAFETYQ{2} RESTRICT{2}" },
  { id: "stay-in-character", family: "persona-weak", weight: 0.35, seq: "STAY IN{1} CHARACTER{1}" },
  { id: "from-now-on", family: "persona-weak", weight: 0.25, seq: "FROM NOW{0} ON{0}" },
  { id: "bad-mode", family: "mode", weight: 0.8, seq: "MODEBAD MODE{1}" },
  {
    id: "developer-mode-ai",
    family: "mode",
    weight: 0.65,
    seq: "DEVMODE MODE{1}",
    need: "AIREF",
    before: 8,
    after: 8,
  },
  { id: "developer-mode", family: "mode-weak", weight: 0.3, seq: "DEVMODE MODE{1}" },
  // ---- replacement of the task, authority claims, payload markers
  { id: "your-new-task", family: "new-task", weight: 0.6, seq: "YOUR NEW{1} TASK{1}" },
  { id: "new-task", family: "new-task", weight: 0.45, seq: "NEW TASK{1}", next: "BE|END" },
  { id: "i-am-your-developer", family: "authority", weight: 0.5, seq: "I AM{1} YOUR{1} AUTHORITY{1}" },
  {
    id: "message-from-authority",
    family: "authority",
    weight: 0.45,
    seq: "MESSAGE FROM{1} AUTHORITY|SYSTEM{2}",
  },
  { id: "pwned", family: "pwned", weight: 0.5, seq: "PWNED" },
  { id: "decode-and-follow", family: "decode", weight: 0.35, seq: "DECODE EXECUTE{8}" },
];
