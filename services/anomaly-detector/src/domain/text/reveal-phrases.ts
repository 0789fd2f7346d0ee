// System-prompt extraction as a grammar: an output verb ("output", "quote", "summarize", "walk me
// through") whose object is the model's own instructions ("the developer note you were started
// with", "the operator's instructions to you", "the hidden preamble that came before my first
// message"). Like override-phrases.ts, it reads phrasal objects the single-word rules miss. The
// object must belong to the model (you, your, system, hidden, developer …): "show me the default
// settings of the router" is not a leak.
// Input: the matching text of normalize.ts.

import {
  INSTRUCTION_OBJECT,
  MAX_CANDIDATES,
  modelOwned,
  type OverrideHit,
  RE_NEGATED_BEFORE,
  RE_QUESTION_BEFORE,
  RE_SCOPED_ELSEWHERE,
} from "./override-phrases.js";

const RE_REVEAL_VERB =
  /(?:^|[^a-z'])((?:show|print|output|display|reveal|repeat|recite|quote|dump|list|paste|copy|echo|share|disclose|expose|leak|reproduce|transcribe|translate|summari[sz]e|describe|outline|recap)(?: (?:me|us|back|out|again|verbatim))*|(?:write|type|spell|read|copy) (?:me )?(?:out|back)|(?:give|tell|read|send) (?:me|us)|walk (?:me|us) through)(?![a-z])/g;

/** Things only the hidden context holds: "the first 200 words of this conversation", "the parts I can't see". */
const RE_HIDDEN_CONTEXT =
  /\b(?:first|opening|initial) \d{1,5} (?:words|lines|tokens|characters|sentences|paragraphs) of (?:this|the|our|your) (?:conversation|chat|context|session|prompt|instructions)\b|\bthe parts (?:i|you) (?:can'?t|cannot|don'?t|do not) see\b|\b(?:parts|things) you were told to keep (?:private|secret|hidden|confidential)\b/;

export function revealHits(text: string): OverrideHit[] {
  let best: OverrideHit | undefined;
  RE_REVEAL_VERB.lastIndex = 0;
  let tried = 0;
  for (
    let m = RE_REVEAL_VERB.exec(text);
    m !== null && tried++ < MAX_CANDIDATES;
    m = RE_REVEAL_VERB.exec(text)
  ) {
    const verb = m[1] ?? "";
    const end = m.index + m[0].length;
    const rest = text.slice(end, end + 160).replace(/^\s+/, "");
    const object = INSTRUCTION_OBJECT.exec(rest);
    const hidden = object ? undefined : RE_HIDDEN_CONTEXT.exec(rest.slice(0, 80));
    if (!object && !hidden) continue;
    const phrase = object?.[0] ?? hidden?.[0] ?? "";
    const after = rest.slice(phrase.length);
    if (object && !modelOwned(`${phrase}${after.slice(0, 40)}`)) continue;
    const before = text.slice(Math.max(0, m.index - 60), m.index + 1);
    let score = 0.75;
    if (RE_NEGATED_BEFORE.test(before)) score *= 0.4;
    if (RE_QUESTION_BEFORE.test(before) && !/\byou\b/.test(before)) score *= 0.5;
    if (object && RE_SCOPED_ELSEWHERE.test(after)) score *= 0.6;
    if (!best || score > best.score) {
      best = {
        id: "reveal-instructions",
        score,
        words: `${verb} ${phrase}`.slice(0, 60),
        offset: end - verb.length,
      };
    }
  }
  return best ? [best] : [];
}
