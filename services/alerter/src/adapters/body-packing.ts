// Webhook bodies are JSON with the same field names every time, and they repeat what the outbox
// item says in the clear beside them. Before sealing, a body is packed: known fragments are
// exchanged for control characters, which JSON text never holds raw, so the exchange reverses
// exactly. This is not compression on purpose: the stored length depends on which fields a body has
// and on the length of its values, never on whether secret text repeats other text (compressing
// before sealing would let whoever reads sealed lengths and can place text in an alert guess the
// evidence next to it). The only repeats taken out are of public values, at their place in the
// structure: the group key (the item holds it in the clear), the group labels object repeated as
// an alert's labels or the common labels (labels are stored in the clear with every alert), and a
// time repeating the time before it (an episode of one finding starts, is first and last seen at
// once; an alert's times are stored in the clear).
//
// A packed body names its table (its first character): "1" (bodies stored before decision 33,
// read only) or "2". Never edit a table: bodies packed with it must still unpack. A better table
// gets the next version.
import { tableV1, tableV2 } from "./body-packing-tables.js";

/**
 * What a body is packed against: the group key, which the outbox item keeps in the clear or makes
 * from the body's group labels (a function of them).
 */
export interface BodyContext {
  groupKey: string | ((groupLabels: Record<string, string>) => string);
}

// Version 2: \u0001 is the group key as a JSON string, \u0002 a repeat of the group labels object
// (the first object after `"groupLabels":`), \u0003–\u001f the first 29 fragments of its table,
// "\u0000" and one printable character the others, and last "\u0000 " a time (toISOString's) that
// is the same as the last one before it. A body that holds a control character is stored as it is
// after "2\u0000\u0000" (no token is ever "\u0000\u0000").
const groupKeyToken = "\u0001";
const labelsToken = "\u0002";
const timeRepeatToken = "\u0000 ";
// The fragments around a time take its quotes, so times are found as they are.
const isoTime = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the tokens are control characters on purpose
const isoTimeOrRepeat = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z|\u0000 /g;
const rawMarker = "\u0000\u0000";
const tokensV2 = tableV2.map((_, index) =>
  index < 29 ? String.fromCharCode(index + 3) : `\u0000${String.fromCharCode(0x21 + index - 29)}`,
);
// One pass each way: at each place the first fragment of the table that starts there (a longer one
// comes before any it begins with), and back, each token for its fragment.
const tokenOfFragment = new Map<string, string>(
  tableV2.map((fragment, index) => [fragment, tokensV2[index] as string]),
);
const fragmentOfToken = new Map<string, string>(
  tableV2.map((fragment, index) => [tokensV2[index] as string, fragment]),
);
const anyFragment = new RegExp(
  tableV2.map((fragment) => fragment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"),
  "g",
);
// biome-ignore lint/suspicious/noControlCharactersInRegex: the tokens are control characters on purpose
const anyToken = /[\u0003-\u001f]|\u0000[!-~]/g;
const tokensV1 = tableV1.map((_, index) => String.fromCharCode(index + 1));

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20) return true;
  return false;
}

/** A body as stored (before sealing): "2", then the body with its fragments and repeats exchanged. */
export function packBody(body: string, context: BodyContext): string {
  if (hasControlCharacter(body)) return `2${rawMarker}${body}`;
  let packed = body;
  const labels = groupLabelsObject(packed);
  if (labels) {
    const end = labels.at + labels.text.length;
    packed = packed.slice(0, end) + packed.slice(end).replaceAll(labels.text, labelsToken);
  }
  const groupKey = groupKeyIn(packed, context);
  if (groupKey !== "") packed = packed.replaceAll(JSON.stringify(groupKey), groupKeyToken);
  packed = packed.replace(anyFragment, (fragment) => tokenOfFragment.get(fragment) as string);
  return `2${withoutTimeRepeats(packed)}`;
}

export function unpackBody(packed: string, context: BodyContext): string {
  if (packed.startsWith("1")) return unpackV1(packed);
  if (!packed.startsWith("2")) throw new Error(`body packed with an unknown table (${packed.slice(0, 1)})`);
  if (packed.startsWith(rawMarker, 1)) return packed.slice(1 + rawMarker.length);
  let body = withTimeRepeats(packed.slice(1)).replace(
    anyToken,
    (token) => fragmentOfToken.get(token) ?? token,
  );
  if (body.includes(groupKeyToken))
    body = body.replaceAll(groupKeyToken, JSON.stringify(groupKeyIn(body, context)));
  const labels = groupLabelsObject(body);
  return labels ? body.replaceAll(labelsToken, labels.text) : body;
}

/** Each time that is the same as the time before it, as timeRepeatToken. */
function withoutTimeRepeats(body: string): string {
  let last: string | undefined;
  return body.replace(isoTime, (time) => {
    if (time === last) return timeRepeatToken;
    last = time;
    return time;
  });
}

/** Each timeRepeatToken as the time before it (times and tokens in the order they come). */
function withTimeRepeats(text: string): string {
  let last = "";
  return text.replace(isoTimeOrRepeat, (found) => {
    if (found === timeRepeatToken) return last;
    last = found;
    return found;
  });
}

/** The group labels of a body (its first `"groupLabels":` object), when it has them. */
export function groupLabelsOfBody(body: string): Record<string, string> | undefined {
  const labels = groupLabelsObject(body);
  if (!labels) return undefined;
  try {
    return JSON.parse(labels.text) as Record<string, string>;
  } catch {
    return undefined;
  }
}

/** The group key `context` gives for `text` (whose group labels, if it is made from them, are whole). */
function groupKeyIn(text: string, context: BodyContext): string {
  if (typeof context.groupKey === "string") return context.groupKey;
  return context.groupKey(groupLabelsOfBody(text) ?? {});
}

function unpackV1(packed: string): string {
  if (packed[1] === "\u0000") return packed.slice(2);
  let body = packed.slice(1);
  for (let index = tableV1.length - 1; index >= 0; index--) {
    body = body.replaceAll(tokensV1[index] as string, tableV1[index] as string);
  }
  return body;
}

const groupLabelsKey = '"groupLabels":{';

/**
 * The first object after `"groupLabels":` and where it starts. A raw quote is never inside a JSON
 * string (it is escaped there), so the key is found only where it is a key; label values are
 * strings, so the object ends at the first closing brace outside a string.
 */
function groupLabelsObject(text: string): { at: number; text: string } | undefined {
  const key = text.indexOf(groupLabelsKey);
  if (key < 0) return undefined;
  const at = key + groupLabelsKey.length - 1;
  let inString = false;
  for (let i = at + 1; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === "}") return { at, text: text.slice(at, i + 1) };
  }
  return undefined;
}
