// A W3C traceparent as stored beside a group or an outbox item: version 00's 50 hex digits
// (trace id, span id, flags) as 34 base64url characters after "~"; any other text as it is.
const version00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function storedTraceparent(traceparent: string): string {
  const match = version00.exec(traceparent);
  if (!match) return traceparent;
  return `~${Buffer.from(match.slice(1).join(""), "hex").toString("base64url")}`;
}

export function traceparentOfStored(stored: string): string {
  if (!stored.startsWith("~")) return stored;
  const hex = Buffer.from(stored.slice(1), "base64url").toString("hex");
  return `00-${hex.slice(0, 32)}-${hex.slice(32, 48)}-${hex.slice(48)}`;
}
