// Webhook bodies are JSON with the same field names every time (Argus and Alertmanager payloads).
// Each fragment of the table below is stored as one control character: JSON text never holds a raw
// control character, so the exchange reverses exactly. This is not compression on purpose: the
// stored length depends on which fields a body has and on the length of its values, never on
// whether one value repeats another (compressing before sealing would let whoever reads sealed
// lengths and can place text in an alert guess the evidence next to it).
//
// A packed body names its table (its first character); this one is "1". Never edit the table:
// bodies packed with it must still unpack. A better table gets the next version.
const tableV1 = [
  '{"type":"alert.',
  '","timestamp":"',
  '","data":{"reason":"',
  '","groupKey":"',
  '","receiver":"',
  '","status":"',
  '","groupLabels":{',
  '},"summary":"',
  '","truncatedAlerts":',
  ',"alerts":[{',
  '"fingerprint":"',
  '","acknowledged":',
  ',"kind":"',
  '","severity":"',
  '","model":"',
  '","tenant":"',
  '","summary":"',
  '","labels":{',
  '},"evidence":{',
  '},"startsAt":"',
  '","endsAt":',
  ',"findingCount":',
  ',"lastFindingId":"',
  '","firstSeenAt":"',
  '","lastSeenAt":"',
  '","categories":[',
  '],"categoriesTruncated":',
  ',"sampleEventIds":[',
  '"alertname":"',
  '{"version":"4","groupKey":"',
  '},"commonLabels":{',
] as const;

// Tokens \u0001 to \u001f; "\u0000" marks a body that had a control character and is stored as it is.
const tokens = tableV1.map((_, index) => String.fromCharCode(index + 1));

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20) return true;
  return false;
}

/** A body as stored: the table's version, then the body with the table's fragments exchanged. */
export function packBody(body: string): string {
  if (hasControlCharacter(body)) return `1\u0000${body}`;
  let packed = body;
  tableV1.forEach((fragment, index) => {
    packed = packed.replaceAll(fragment, tokens[index] as string);
  });
  return `1${packed}`;
}

export function unpackBody(packed: string): string {
  if (!packed.startsWith("1")) throw new Error(`body packed with an unknown table (${packed.slice(0, 1)})`);
  if (packed[1] === "\u0000") return packed.slice(2);
  let body = packed.slice(1);
  // In the reverse order: a fragment exchanged later may have been found next to an earlier token.
  for (let index = tableV1.length - 1; index >= 0; index--) {
    body = body.replaceAll(tokens[index] as string, tableV1[index] as string);
  }
  return body;
}
