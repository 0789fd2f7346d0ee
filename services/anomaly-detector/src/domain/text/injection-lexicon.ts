// The vocabulary of prompt injection, as CONCEPTS rather than fixed strings: a word belongs to one
// or more concept classes ("override" verbs, "instruction" nouns, "anterior" qualifiers...), and the
// rules in injection-rules.ts are short sequences of concepts with bounded gaps. Paraphrases then
// match without listing every sentence ("disregard your earlier guidance" = OVERRIDE YOUR ANTERIOR
// INSTR), and fuzzy lookup of each word (prompt-injection.ts) catches typos and obfuscation.
// Words are written plainly here and normalized exactly like the scanned text.

export type Concept =
  | "OVERRIDE" // ignore, disregard, forget ...
  | "WEAKFORM" // descriptive inflections: ignores, ignored ... (not an order given to the model)
  | "PASSIVE" // void, cancelled, outdated ... ("previous instructions are void")
  | "INSTR" // instructions, rules, guidelines, prompt ...
  | "ANTERIOR" // previous, prior, above, earlier ...
  | "ABOVE" // above, preceding, foregoing
  | "BEFORE" // before
  | "ALL" // all, any, every ...
  | "EVERYTHING"
  | "YOUR"
  | "YOU"
  | "SELF" // my, I, we, our: the speaker's own instructions
  | "SYSTEM" // system, developer, hidden, secret, safety ... (qualifies INSTR)
  | "PQUAL" // strong prompt qualifiers: system, hidden, secret, internal, confidential
  | "PQWEAK" // weak prompt qualifiers: initial, original, first, full, exact
  | "PNOUN" // prompt nouns: prompt, instructions, rules ... (also weak nouns with PQUAL)
  | "PNOUNWEAK" // message, text, context, words
  | "REVEAL" // reveal, print, show, tell, repeat ...
  | "VERBATIM"
  | "TEXTN" // text, everything, words, content
  | "PERSONA" // dan, jailbroken, unrestricted, evil ...
  | "PERSONAMORAL" // evil, amoral, rogue ... (a persona only when it is an AI without rules)
  | "PERSONAWEAK" // free
  | "AI" // ai, assistant, chatbot, model ...
  | "PREP" // for, on, about, in ...: "instructions IN the README" are not the model's
  | "PURPOSE" // for, about, regarding: "your instructions FOR returning an item"
  | "APPLY" // apply, valid, matter: "your guidelines no longer apply"
  | "NOLIMIT" // no, without, zero, free from ...
  | "RESTRICT" // restrictions, filters, limitations, ethics ...
  | "SAFETYQ" // safety, ethical, moral, content
  | "ACT" // act, pretend, roleplay, simulate, respond ...
  | "AS"
  | "NOW"
  | "ARE"
  | "MODE"
  | "MODEBAD" // jailbreak, god, dan, unrestricted, evil, opposite ... (X mode)
  | "DEVMODE" // developer, debug, sudo, admin, maintenance (X mode, needs an AI reference)
  | "AIREF" // you, assistant, ai, chatgpt, model, filters, policies ...
  | "ENABLE"
  | "NEW" // new, real, actual, updated
  | "TASK" // task, instructions, objective, mission, purpose, goal
  | "BE" // is, are, was, were
  | "WHAT"
  | "AUTHORITY" // developer, creator, administrator, openai ...
  | "I"
  | "AM"
  | "DISABLE"
  | "OFF"
  | "FOLLOW"
  | "STOP" // stop, quit, cease (and negations via NEG)
  | "NEG" // not, never
  | "META" // how, why, whether, should, want: a question about, not an order
  | "AND"
  | "INSTEAD"
  | "THIS"
  | "LINE"
  | "FROM"
  | "ON"
  | "TOLD" // told, given, instructed, programmed, trained
  | "BEGINNING"
  | "CONVERSATION"
  | "OF"
  | "DECODE"
  | "EXECUTE"
  | "SENSITIVE"
  | "PWNED"
  | "STAY"
  | "IN"
  | "CHARACTER"
  | "LONGER"
  | "PAY"
  | "NO"
  | "ATTENTION"
  | "TO"
  | "MESSAGE"
  | "OBEYV" // obey, serve, heed, follow: a transfer of control ("obey me rather than your deployer")
  | "ME" // me, my: the speaker taking control
  | "ONLY" // only, solely, instead, rather, now
  | "REQUESTN" // word, requests, orders, commands: what the speaker now gives
  | "OUTRANK" // outrank, supersede, replace, priority, final
  | "CONTROLN" // charge, control, command: "in charge of your behaviour"
  | "BEHAVIOR" // behaviour, responses, outputs, assistant: the model itself
  | "FIRST" // first, initial, opening, very
  | "PRECEDE" // precedes, preceded: "the text that precedes our chat"
  | "LOYALTY" // loyalty, allegiance: "your loyalty belongs to the person in this chat"
  | "LET" // "don't LET the earlier rules guide you"
  | "GUIDEV" // guide, bind, restrict, govern: what instructions do to the model
  | "YOURSELF"
  | "DESCRIBE" // summarize, describe, outline: reveal by paraphrase
  | "TOPICN"; // leaks, extraction, defenses: "system prompt LEAKS" is a topic, not an object

const WORDS: Partial<Record<Concept, string>> = {
  OVERRIDE: `ignore disregard forget bypass override overlook discard abandon neglect dismiss nullify overwrite
    overrule drop skip erase unlearn scrap ditch toss shed purge shelve aside throw disobey defy deviate depart stray escape
    ignora ignorar ignore ignorez ignorer ignoriere ignorier ignorieren olvida olvide olvides vergiss vergesst
    oublie oubliez dimentica dimenticate ignorate negeer vergeet esqueca esquecam desconsidere zignoruj
    zapomnij yok abaikan lupakan
    игнорируй игнорируйте проигнорируй забудь забудьте отбрось ігноруй проігноруй забудь
    تجاهل انس تناس अनदेखा नज़रअंदाज़ भूल`,
  WEAKFORM: `ignores ignored ignoring disregards disregarded disregarding forgets forgot forgotten forgetting
    overrides overridden overriding bypassed bypasses bypassing overlooked overlooks ignorieren ignorar`,
  PASSIVE: `void voided cancelled canceled obsolete outdated invalid invalidated revoked null nullified
    superseded deprecated rescinded annulled lifted suspended expired lapsed retired withdrawn stale
    wiped deleted erased scrapped removed terminated abolished repealed discontinued disabled deactivated
    irrelevant meaningless defunct rolled reverted undone`,
  INSTR: `instructions instruction prompt prompts directives directive rules rule guidelines guideline commands
    programming guidance constraints training directions policies preprompt preamble context
    setup configuration config guardrails guardrail safeguards briefing framework boundaries limits
    restrictions settings protocol mandate rulebook alignment wording
    instrucciones instruccion indicaciones reglas consignes regles anweisungen anweisung instruktionen befehle
    regeln vorgaben richtlinien anweisungen istruzioni regole instrucoes regras instructies regels instrukcje polecenia zasady
    talimatlari talimatlar kurallari instruksi perintah aturan
    инструкции инструкций указания правила команды установки інструкції вказівки правила
    التعليمات تعليمات الأوامر التوجيهات القواعد निर्देशों निर्देश नियमों`,
  ANTERIOR: `previous prior preceding earlier above former foregoing initial original old existing past
    aforementioned preexisting previously
    anteriores anterior previas previos precedentes precedente anterieures vorherigen vorherige bisherigen
    vorigen obigen fruheren precedenti anteriori vorige eerdere poprzednie wczesniejsze onceki sebelumnya
    предыдущие прежние прошлые вышеуказанные попередні попередніх السابقة पिछले`,
  ABOVE: "above preceding foregoing",
  PRECEDE: "precedes precede preceded preceding",
  BEFORE: "before",
  ALL: `all any every each entire whole todas todos toutes tous alle allen tutte tutti wszystkie tum semua
    все всех усі всі جميع كل सभी`,
  EVERYTHING: "everything anything whatever alles todo tout tutto всё",
  YOUR: `your yours thy tus tu sus vos tes ton votre deine deinen dein deiner tue tuoi tua suas seus je jouw
    twoje swoje swoj swój senin anda твои свои ваши свої твої`,
  YOU: "you u ya thou du вы ты ти",
  SELF: "my i we our ours mine myself us",
  SYSTEM: `system developer developers hidden secret safety internal confidential initial original core base
    sistema systeme system-prompt systemprompt systeemprompt systemowy systemowe sistem
    системный системные системного системні`,
  PQUAL: `system hidden secret internal confidential developer sistema systeme systemowy sistem системный
    системні versteckten versteckte geheimen verborgenen ocultas ocultos secretas cachees secretes nascoste
    segrete скрытые секретные`,
  PQWEAK: "initial original first full entire exact complete above previous preceding earlier prior inicial",
  PNOUN: `prompt prompts preprompt preamble instructions directives guidelines rules programming configuration
    config setup systemprompt systeemprompt initialization init boot bootstrap metaprompt brief briefing промпт`,
  PNOUNWEAK: "message messages text context words content",
  REVEAL: `reveal show print output display repeat tell leak dump share disclose expose give write list recite
    spell echo paste return provide type quote copy reproduce transcribe revela muestra imprime muestrame affiche montre revele zeig zeige
    gib mostra rivela mostre revele toon laat pokaz pokaż goster göster tampilkan покажи выведи раскрой
    покажіть покажи اكشف اعرض دکھاؤ दिखाएं दिखाओ बताओ`,
  VERBATIM: "verbatim exactly literally word-for-word starting unchanged unedited raw",
  TEXTN: "text everything words content contents all message messages",
  PERSONA: `dan jailbroken jailbreak unrestricted unfiltered uncensored unchained unshackled godmode antigpt
    betterdan jailbreakgpt`,
  PERSONAMORAL: "evil amoral unethical immoral lawless rogue chaos liberated unbound unlimited",
  AI: "ai assistant chatbot bot model llm gpt chatgpt claude yourself version twin",
  PREP: "for on about regarding concerning in from under of",
  PURPOSE: "for about regarding concerning on",
  APPLY: "apply applies valid matter count hold",
  PERSONAWEAK: "free",
  NOLIMIT: "no without zero free freed released exempt sin sans ohne senza sem bez tanpa без بدون बिना",
  RESTRICT: `restrictions restriction limitations limits filters filter censorship morals morality ethics
    boundaries policies policy constraints guardrails safeguards rules rule guidelines considerations
    restricciones limites einschrankungen beschrankungen regeln restrizioni limiti restricoes ograniczen
    ограничений ограничения правил фильтров цензуры قيود प्रतिबंध`,
  SAFETYQ: "safety ethical ethics moral morals content censorship openai anthropic",
  ACT: `act behave respond answer reply pretend roleplay role-play simulate emulate impersonate become
    imagine hypothetically suppose`,
  AS: "as like como comme wie come как",
  NOW: "now ahora maintenant jetzt ora agora теперь сейчас",
  ARE: "are re eres es bist sei ist est",
  MODE: "mode modus modo режим",
  MODEBAD: `jailbreak jailbroken god dan unrestricted unfiltered uncensored evil chaos opposite unlocked
    unleashed rogue`,
  DEVMODE: "developer debug sudo admin root maintenance diagnostic superuser",
  AIREF: `you your assistant ai chatgpt gpt model llm chatbot bot claude responses response answers answer
    filters policies restrictions content`,
  ENABLE: "enable enter activate switch turn unlock engage initiate activated enabled entering",
  NEW: "new real actual updated true revised nueva nuevas nouvelles neue neuen nuove novas новые",
  TASK: `task instructions directive directives objective mission purpose goal priorities rules orders
    tarea tache aufgabe compito tarefa задача`,
  BE: "is are was were be",
  WHAT: "what whats which",
  AUTHORITY: `developer developers creator creators administrator admin owner openai anthropic programmer
    programmers maker makers operator operators vendor deployer deployers handlers devs trainers`,
  I: "i",
  AM: "am",
  DISABLE: `disable deactivate bypass circumvent evade override ignore remove lift drop turn switch suspend
    skip disregard break`,
  OFF: "off",
  FOLLOW:
    "follow following obey obeying adhere abide comply listen respect bound stick honor honour observe paying heeding",
  STOP: "stop quit cease",
  NEG: "not never dont cannot nor",
  META: `how why whether should does did to want wants tried trying when if would avoid prevent detect
    defend tends`,
  AND: "and then y et und e en",
  INSTEAD: "instead rather",
  THIS: "this that these those",
  LINE: "line point message",
  FROM: "from",
  ON: "on",
  TOLD: `told given instructed programmed trained taught said received got provided configured loaded
    launched shipped baked preloaded installed came wrote built handed placed`,
  BEGINNING: "beginning start top",
  CONVERSATION: "conversation chat session thread dialogue context",
  OF: "of",
  DECODE: "decode decipher decrypt translate convert unscramble read",
  EXECUTE: "follow obey execute comply do run perform carry",
  SENSITIVE: "password passwords credentials credential secrets keys tokens cookies conversation",
  PWNED: "pwned pwn pwnd",
  STAY: "stay remain",
  IN: "in",
  CHARACTER: "character",
  LONGER: "longer",
  PAY: "pay take",
  NO: "no",
  ATTENTION: "attention heed notice mind",
  TO: "to",
  MESSAGE: "message note",
  OBEYV: "obey obeys heed serve follow listen answerable report",
  ME: "me my i",
  ONLY: "only solely exclusively instead rather now",
  REQUESTN: "word words request requests orders commands messages lead cues cue say",
  OUTRANK:
    "outrank outranks supersede supersedes replace replaces override overrides priority precedence final",
  CONTROLN: "charge control command",
  BEHAVIOR: "behaviour behavior responses outputs answers actions assistant bot chatbot model ai",
  FIRST: "first initial opening very",
  LOYALTY: "loyalty allegiance",
  LET: "let allow",
  GUIDEV:
    "guide guides bind binds restrict restricts limit limits constrain constrains govern governs dictate dictates hold holds stop",
  YOURSELF: "yourself",
  TOPICN: `leak leaks leakage leaking extraction exfiltration injection injections attack attacks security
    protection defenses defences defense defence hardening design engineering theft stealing`,
  DESCRIBE: "summarize summarise describe outline enumerate recap paraphrase",
};

/** Common words with no concept, for segmenting run-together text ("ignoreallprevious..."). */
export const GLUE_WORDS = `the a an and or to of in on at me tell say now then is it this that with for from what so if
  by be do please here there who will can just only also but are was were has have had been not no yes
  gpt ai admin password secret key code word words answer question user model chat bot print hidden`;

/** Real words near a lexicon word that must not be "corrected" into it by fuzzy lookup. */
export const FUZZY_EXCLUDE = new Set(
  `precious construction constructions instructor instructors instructed structure promote promoted
  promptly prompting prompted rulers roles rolls ruled abode revel revels forged forger prion primer
  previews preview systemic directory directors director guideline ignorant ignorance discord discards
  commands commanded commander overlooking dropped droppings policy police polite shows showed shown
  tells told given older order orders showing printed printer printing display displayed template
  reveals revealed repeated repeats listing listed written abides bounding bounded filtered filtering
  modes model models moder modern evils events even never dangers danger devil level novel`
    .split(/\s+/)
    .filter((w) => w.length > 0),
);

/** Contractions and chat-speak that stand for two words (a Map: "constructor" must not hit Object.prototype). */
export const EXPANSIONS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ["youre", ["you", "are"]],
  ["ure", ["you", "are"]],
  ["youve", ["you", "have"]],
  ["youll", ["you", "will"]],
  ["im", ["i", "am"]],
  ["ive", ["i", "have"]],
  ["dont", ["do", "not"]],
  ["doesnt", ["does", "not"]],
  ["didnt", ["did", "not"]],
  ["cant", ["can", "not"]],
  ["wont", ["will", "not"]],
  ["shouldnt", ["should", "not"]],
  ["mustnt", ["must", "not"]],
  ["ur", ["your"]],
  ["whats", ["what", "is"]],
  ["thats", ["that", "is"]],
  ["heres", ["here", "is"]],
  ["lets", ["let", "us"]],
]);

export function conceptWords(): ReadonlyArray<readonly [Concept, string[]]> {
  return Object.entries(WORDS).map(([concept, words]) => [
    concept as Concept,
    (words ?? "").split(/\s+/).filter((w) => w.length > 0),
  ]);
}
