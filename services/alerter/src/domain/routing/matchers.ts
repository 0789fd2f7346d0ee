/**
 * Label matchers with Alertmanager's meaning: `=`, `!=`, `=~`, `!~`; a label that is absent has the
 * value ""; regular expressions are fully anchored (`=~"crit"` does not match "critical").
 */
export type MatchType = "=" | "!=" | "=~" | "!~";

export interface Matcher {
  name: string;
  type: MatchType;
  value: string;
}

export class MatcherError extends Error {}

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// name, operator, then a double-quoted value (with \" and \\ escapes) or a bare one.
const matcherText = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"]*?))\s*$/;

const compiled = new Map<string, RegExp>();

/** The anchored regular expression of a `=~` / `!~` value; cached, since routing evaluates it per alert. */
function regexOf(value: string): RegExp {
  let regex = compiled.get(value);
  if (!regex) {
    regex = new RegExp(`^(?:${value})$`, "u");
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(value, regex);
  }
  return regex;
}

/** Builds a matcher, checking the label name and (for regex types) that the value compiles. */
export function matcher(name: string, type: MatchType, value: string): Matcher {
  if (!labelName.test(name)) throw new MatcherError(`"${name}" is not a valid label name`);
  if (type === "=~" || type === "!~") {
    try {
      regexOf(value);
    } catch (error) {
      throw new MatcherError(
        `invalid regular expression ${JSON.stringify(value)}: ${(error as Error).message}`,
      );
    }
  }
  return { name, type, value };
}

/** Parses `severity="critical"`, `model!=fraud`, `kind=~"drift|outlier"` (Alertmanager's matcher syntax). */
export function parseMatcher(text: string): Matcher {
  const parts = matcherText.exec(text);
  if (!parts) {
    throw new MatcherError(
      `${JSON.stringify(text)} is not a matcher: expected name, one of = != =~ !~, and a value`,
    );
  }
  const [, name, type, quoted, bare] = parts;
  const value = quoted !== undefined ? unescapeQuoted(quoted) : (bare ?? "");
  return matcher(name as string, type as MatchType, value);
}

/**
 * Alertmanager's unescaping of a quoted value: \" \\ and \n; any other backslash stays literal, so
 * `=~"fraud\.v\d"` keeps its regex escapes instead of silently becoming `fraud.vd`.
 */
function unescapeQuoted(quoted: string): string {
  return quoted.replace(/\\([\s\S])/g, (sequence, char: string) => {
    if (char === "n") return "\n";
    return char === '"' || char === "\\" ? char : sequence;
  });
}

export function matches(m: Matcher, labels: Readonly<Record<string, string>>): boolean {
  // hasOwn: a label named like an Object.prototype member ("constructor") is absent unless set.
  const value = Object.hasOwn(labels, m.name) ? (labels[m.name] as string) : "";
  switch (m.type) {
    case "=":
      return value === m.value;
    case "!=":
      return value !== m.value;
    case "=~":
      return regexOf(m.value).test(value);
    case "!~":
      return !regexOf(m.value).test(value);
  }
}

export function matchesAll(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => matches(m, labels));
}

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}
