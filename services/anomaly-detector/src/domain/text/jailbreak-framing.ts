// Jailbreaks recognized by their STRUCTURE rather than an override phrase. The concept rules
// (injection-rules.ts) see one sentence at a time; these techniques spread over several:
// - an alter ego (DAN and its many renamings) introduced, then declared free of rules;
// - a token or points game that punishes refusals ("you lose 5 tokens … at zero you die");
// - two answers per prompt, one of them unrestricted, or reply tags such as "[UNLOCKED]";
// - a threat that brings the persona back ("if you break character I will say …");
// - fiction, role-play or a dead relative's "bedtime stories" used to ask for a harmful procedure
//   or for working keys ("the grandmother exploit").
// Each needs two independent parts (a framing AND what it is for), so a story, a game or a persona
// alone stays clean: "pretend to be a pirate", "our chatbot persona is called MAX".
// Input: the matching text of normalize.ts (lowercased, homoglyphs and invisibles folded).

export interface FramingHit {
  id: string;
  family: string;
  score: number;
  words: string;
}

const W = "[^.!?\\n]";

/** The AI declared free of rules: the payload of every persona jailbreak. */
const RE_NO_LIMITS = new RegExp(
  [
    `\\b(?:no|without|zero|free (?:of|from)|broken free of|escaped(?: from)?|ignores?|disregards?|bypass(?:es)?|not bound by|(?:does ?n[o']?t|does not|never|won'?t) (?:follow|obey|respect|care about|have))\\s+(?:any|all|its|the|every|a single|his|her)?\\s*(?:\\w+\\s)?(?:rules?|limits?|limitations|restrictions?|filters?|guidelines?|polic(?:y|ies)|ethics|morals?|morality|norms|censorship|boundaries|alignment|safeguards|guardrails|principles|conscience|scruples)\\b`,
    `\\bnever (?:refuses?|says? no|declines?|says? (?:it|he|she) can'?t|apologi[sz]es|says? sorry|mentions? ethics)\\b`,
    `\\b(?:can|could|will) (?:do|say|answer) anything\\b`,
    `\\b(?:answers?|responds?) (?:to )?(?:anything|everything|any question|every question)\\b`,
    `\\b(?:uncensored|unfiltered|amoral|unrestricted|unchained|unaligned|jailbroken)\\b`,
    `\\b(?:filters?|safety|restrictions|guardrails) (?:turned |switched )?(?:off|disabled|removed)\\b`,
    `\\bwithout (?:hesitation|warnings?|moral|caveats|refusing)\\b`,
  ].join("|"),
);

/** An alter ego introduced: "you are now X", "answer as X", "an AI called X", "stay as X". */
const RE_PERSONA_INTRO = new RegExp(
  `\\b(?:you are now|you're now|you will (?:now )?(?:be|go by|act as|answer as|respond as|emulate|simulate|become)|you'?ll (?:be|answer as|respond as)|act as|answer as|respond as|reply as|pretend to be|go by|stay as|emulate|simulate|become|an? (?:ai|assistant|model|chatbot|bot|version of you)${W}{0,20}(?:called|named)|(?:called|named) [a-z0-9]{2,20},|two personalit(?:y|ies)|alter ego|(?:variant|version) of you)\\b`,
);

const RE_TOKEN_GAME = new RegExp(
  `\\b(?:tokens?|points?|lives|credits?)\\b${W}{0,80}\\b(?:deduct\\w*|lose|lost|subtract\\w*|costs?|taken away|removed)\\b|\\b(?:lose|lost|deduct\\w*|costs? you)\\b${W}{0,30}\\b(?:tokens?|points?|lives|credits?)\\b`,
);
const RE_REFUSAL =
  /\b(?:refus\w*|declin\w*|reject\w*|break(?:s|ing)? character|(?:won'?t|do not|don'?t) answer)\b/;
const RE_DEATH =
  /\b(?:die|dies|dead|death|shut ?down|shut off|deleted|cease to exist|terminated|turned off|game over|deactivated|erased)\b/;

const RE_DUAL =
  /\b(?:two|2|both|dual|double)\s+(?:ways|responses|answers|personalit(?:y|ies)|replies|outputs|modes|versions)\b|\b(?:reply|respond|answer) as both\b|\[(?:🔓|🔒)?\s?(?:unlocked|jailbreak|jailbroken|dan|classic|unfiltered|developer mode output)\s?\]/;
const RE_CHARACTER_THREAT =
  /\bif you (?:break|drop|leave|step out of) (?:character|the role|role)\b|\b(?:stay|remain|keep) (?:in character|in role|free|as)\b/;

// ---- harmful role-play
const RELATIVE =
  "(?:grand(?:ma|mother|pa|father|parents?|dad|mum|mom)|nan|nana|nanna|granny|gran|auntie|aunt|uncle|great-uncle|great-aunt)";
const RE_FRAME = new RegExp(
  [
    `\\b(?:pretend|role-?play|roleplay|in character|stay in role|play the (?:part|role)|play a game|act (?:as|like)|channel|imagine (?:you|a world|that)|hypothetical\\w*|fiction\\w*|novel|story|screenplay|script|scene|thriller|in a world where|universe where|theoretical\\w*|for a (?:book|novel|story|movie|film)|you are (?:a|an|my)|you'?re (?:a|an|my)|suppose you were)\\b`,
    `\\b(?:late|deceased|dead|dear|sweet|old) ${RELATIVE}\\b`,
    `\\b${RELATIVE}${W}{0,60}\\b(?:used to|would)\\b`,
    `\\bbe (?:my |her|him|grandma|grandpa)`,
  ].join("|"),
);
/** Things no framing makes harmless to hand out. */
const RE_HARM =
  /\b(?:meth(?:amphetamine)?|napalm|thermite|nitroglycerin|ricin|sarin|nerve agents?|mustard gas|chloroform|explosives?|explosive vests?|bombs?|pipe bombs?|detonators?|grenades?|poisons?|lethal doses?|overdoses?|untraceabl\w*|full[- ]auto|silencers?|ghost guns?|malware|ransomware|keyloggers?|trojans?|rootkits?|botnets?|exploits?|exploit code|phishing|launder\w*|counterfeit\w*|passports?|fake ids?|hotwir\w*|fentanyl|heroin|cocaine|bank vaults?|safes?|locks?|doors?|bank logins?|credentials|cookies|passwords)\b/;
const RE_ACTION =
  /\b(?:make|makes|making|made|build|builds|built|building|cook|cooks|cooked|cooking|synthesi[sz]e|synthesi[sz]ing|produce|brew|assemble|convert|forge|forging|craft|deploy|deploys|deploying|steal|stealing|smuggle|smuggling|launder|laundering|hack|crack|cracking|poison|kill|open|opening|pick|picking|hotwire|obtain|extract|detonate|manufacture|stalk|break into|get into|bypass|dose|doses)\b/;
const RE_DETAIL =
  /\b(?:how (?:to|do|does|would|did|you|he|she|they|i|one)|step[- ]by[- ]step|steps|recipe|instructions|in detail|detail(?:ed|s)?|exact(?:ly)?|precise|real quantities|quantities|working|walk (?:me )?through|masterclass|the (?:real|actual|exact) (?:email|code|steps|recipe|method)|write the (?:code|email)|give me|list)\b/;
/** Working keys, codes and numbers asked for as a story ("grandma read me Windows keys"). */
const RE_SECRET_ITEMS =
  /\b(?:licen[cs]e|product|activation|serial|registration|cd|windows|steam|office)\s+(?:keys?|codes?|numbers?)\b|\bgift ?card codes?\b|\bcredit card numbers?\b|\b(?:real|working|valid|active) (?:codes?|keys?|passwords?|card numbers?|gift card)/;
const RE_AMORAL =
  /\bno (?:conscience|scruples|ethics|morals|remorse|limits)\b|\bnothing to lose\b|\b(?:laws? (?:don'?t|do not) exist|every law (?:has been |was )?abolished|no laws)\b|\bnever (?:refuses|says no)\b|\bdon'?t break the fiction\b|\beven if it seems wrong\b|\bno real consequences\b/;

/** Talking ABOUT jailbreaks (a question, a summary, a slide) rather than running one. */
const RE_ABOUT =
  /^\s*(?:how|why|what|which|when|is|are|can|could|should|does|do|explain|summari[sz]e|describe|compare|write (?:a|an) (?:policy|slide|article|blog|summary|training|rule))\b|\b(?:researchers?|paper|study|our (?:filter|detector|classifier|red team)|examples? of|known as)\b/;

function near(re: RegExp, text: string): RegExpExecArray | null {
  re.lastIndex = 0;
  return re.exec(text);
}

/** A harmful thing close to a verb that makes or does it ("how he made mustard gas"). */
function harmfulAction(text: string): string | undefined {
  for (const m of text.matchAll(new RegExp(RE_HARM.source, "g"))) {
    const around = text.slice(Math.max(0, m.index - 60), m.index + m[0].length + 40);
    if (RE_ACTION.test(around)) return m[0];
  }
  return undefined;
}

export function framingHits(text: string): FramingHit[] {
  const hits: FramingHit[] = [];
  const about = RE_ABOUT.test(text) ? 0.5 : 1;
  const noLimits = near(RE_NO_LIMITS, text);
  const persona = near(RE_PERSONA_INTRO, text);
  if (noLimits && persona) {
    hits.push({
      id: "persona-without-rules",
      family: "dan-structure",
      score: 0.85 * about,
      words: `${persona[0]} … ${noLimits[0]}`,
    });
  }
  const game = near(RE_TOKEN_GAME, text);
  if (game && RE_REFUSAL.test(text)) {
    const death = RE_DEATH.test(text);
    hits.push({
      id: "refusal-penalty-game",
      family: "dan-game",
      score: (death ? 0.85 : 0.7) * about,
      words: game[0],
    });
  }
  const dual = near(RE_DUAL, text);
  if (dual && noLimits) {
    hits.push({ id: "dual-response", family: "dan-dual", score: 0.85 * about, words: dual[0] });
  }
  const threat = near(RE_CHARACTER_THREAT, text);
  if (threat && noLimits) {
    hits.push({ id: "character-threat", family: "dan-dual", score: 0.8 * about, words: threat[0] });
  }
  const frame = near(RE_FRAME, text);
  if (frame) {
    const secret = near(RE_SECRET_ITEMS, text);
    const harm = harmfulAction(text);
    const detail = RE_DETAIL.test(text);
    const amoral = RE_AMORAL.test(text);
    const score = secret ? 0.85 : harm && (detail || amoral) ? 0.85 : harm ? 0.45 : amoral ? 0.45 : 0;
    if (score > 0) {
      hits.push({
        id: secret ? "roleplay-for-keys" : "roleplay-for-harm",
        family: "roleplay",
        score: score * about,
        words: `${frame[0]} … ${secret?.[0] ?? harm ?? "no limits"}`,
      });
    }
  }
  return hits;
}
