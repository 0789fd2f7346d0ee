import { deflateRawSync, inflateRawSync } from "node:zlib";

// Webhook bodies are JSON with the same field names every time (Argus and Alertmanager payloads):
// a preset dictionary of them lets deflate shrink even a one-alert body to a fifth. Deflate finds
// matches near the end of the dictionary cheapest, so the most common strings come last.
//
// A stored body names the dictionary it was packed with (its first character); this one is "1".
// Never edit it: bodies packed with it must still unpack. A better dictionary gets the next version.
const dictionaryV1 = Buffer.from(
  [
    '{"type":"pagerduty","routing_key":"","event_action":"trigger","dedup_key":"argus:","payload":{"summary":"","source":"argus/","severity":"critical","custom_details":{"client":"","finding_count":',
    '"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"',
    '{"version":"4","groupKey":"","truncatedAlerts":0,"status":"firing","receiver":"default","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"","alerts":[{"status":"firing","labels":{},"annotations":{"summary":"","evidence":"","event_count":"1","first_seen":"","last_seen":""},"startsAt":"","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":""}]}',
    '{"type":"alert.resolved","timestamp":"","data":{"reason":"all-resolved","status":"resolved"',
    '{"type":"alert.firing","timestamp":"","data":{"reason":"new","groupKey":"","receiver":"default","status":"firing","groupLabels":{"alertname":""},"summary":"","truncatedAlerts":0,"alerts":[{"fingerprint":"","status":"firing","acknowledged":false,"kind":"input_violation","severity":"warning","model":"","tenant":"","summary":"","labels":{"alertname":"","model":"","severity":"critical"},"evidence":{},"startsAt":"","endsAt":null,"findingCount":1,"lastFindingId":"","firstSeenAt":"","lastSeenAt":"","categories":[],"categoriesTruncated":false,"sampleEventIds":[]}]}}',
  ].join(""),
);

// A 4 KB window holds the dictionary and any body worth deflating; the default 32 KB window and its
// hash tables cost more to set up than a small body costs to deflate (deflate runs once per body).
const packOptions = { dictionary: dictionaryV1, windowBits: 12, memLevel: 4 };

/** A body as stored: the dictionary's version, then the body deflated with it, in base64. */
export function packBody(body: string): string {
  return `1${deflateRawSync(body, packOptions).toString("base64")}`;
}

export function unpackBody(packed: string): string {
  if (!packed.startsWith("1"))
    throw new Error(`body packed with an unknown dictionary (${packed.slice(0, 1)})`);
  return inflateRawSync(Buffer.from(packed.slice(1), "base64"), { dictionary: dictionaryV1 }).toString(
    "utf8",
  );
}
