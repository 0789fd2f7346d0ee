// Redaction of evidence. A scanner reports WHAT it found and WHERE, never the value itself: findings
// travel to Kafka, alerts and webhooks, and must not become the leak they report.

/** First few characters and the length: `ghp_…(40 chars)`. At most a quarter of the value is shown. */
export function redactSecret(value: string): string {
  const chars = Array.from(value);
  const keep = Math.min(4, Math.floor(chars.length / 4));
  return `${chars.slice(0, keep).join("")}…(${chars.length} chars)`;
}

/** `j***@f***.com`: first character of the local part and of the domain, and the top-level domain. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at <= 0) return redactSecret(email);
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf(".");
  const tld = dot > 0 ? domain.slice(dot) : "";
  return `${local.slice(0, 1)}***@${domain.slice(0, 1)}***${tld}`;
}

/** Digits replaced by `*` except the last `keepLast`: `**** **** **** 1111`, separators kept. */
export function maskDigits(value: string, keepLast: number): string {
  let digitsSeen = 0;
  let total = 0;
  for (const c of value) if (c >= "0" && c <= "9") total++;
  let out = "";
  for (const c of value) {
    if (c >= "0" && c <= "9") {
      digitsSeen++;
      out += digitsSeen > total - keepLast ? c : "*";
    } else out += c;
  }
  return out;
}

/** A short, single-line excerpt of non-secret text (decoded payloads, hidden comments). */
export function excerpt(text: string, max = 40): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  const chars = Array.from(oneLine);
  return chars.length <= max ? oneLine : `${chars.slice(0, max).join("")}…`;
}
