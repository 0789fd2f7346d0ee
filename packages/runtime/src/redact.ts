const sensitiveKey =
  /^(authorization|proxy-authorization|cookie|set-cookie|token|access[-_]?token|refresh[-_]?token|id[-_]?token|api[-_]?key|x-api-key|password|passwd|pass|private[-_]?key|.*secret)$/i;

// Credentials that may hide inside free text (an error message, a URL, a header dump).
const secretPatterns: [RegExp, string][] = [
  [/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, "$1[redacted]"],
  [/whsec_[A-Za-z0-9+/=]+/g, "whsec_[redacted]"],
  [/(rediss?:\/\/[^:/@\s]*:)[^@\s]+@/gi, "$1[redacted]@"],
];

const maxDepth = 8;

/** Masks secrets in free text. */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of secretPatterns) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A copy of `value` with the values of credential-named keys (at any depth, any case) replaced and
 * credential-shaped substrings of strings masked. Logs are read by many more people than secrets.
 */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= maxDepth) return "[truncated]";
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1, seen));
  if (value instanceof Error) {
    return { type: value.name, message: redactText(value.message), stack: redactText(value.stack ?? "") };
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = sensitiveKey.test(key) ? "[redacted]" : redactDeep(child, depth + 1, seen);
  }
  return out;
}
