// Strings that repeat on every event (feature names, labels, model ids) are decoded once: decoding
// the UTF-8 of 30 names per event was a fifth of the decoder's time.
import type { BinaryReader } from "@bufbuild/protobuf/wire";

/** One decoded name. `seenIn` lets a decoder find a repeated map key without a set per event. */
export interface InternedName {
  readonly bytes: Uint8Array;
  readonly value: string;
  seenIn: number;
}

/** Decoded names by a hash of their bytes: every event repeats its model's names. */
const names = new Map<number, InternedName[]>();
let namesHeld = 0;
let generation = 0;

/**
 * The interned name at the reader (a length-delimited string), the reader moved past it; or
 * `undefined`, the reader unmoved, for a string too long to be worth keeping (read it as usual).
 */
export function readInternedName(reader: BinaryReader, buf: Uint8Array): InternedName | undefined {
  const start = reader.pos;
  const length = reader.uint32();
  const at = reader.pos;
  if (length > 64 || at + length > reader.len) {
    reader.pos = start;
    return undefined;
  }
  let hash = 0x811c9dc5 ^ length;
  for (let i = at; i < at + length; i++) hash = Math.imul(hash ^ (buf[i] as number), 0x01000193);
  const candidates = names.get(hash);
  if (candidates) {
    for (const candidate of candidates) {
      if (sameBytes(candidate.bytes, buf, at, length)) {
        reader.pos = at + length;
        return candidate;
      }
    }
  }
  reader.pos = start;
  const value = reader.string();
  if (namesHeld >= 4_096) {
    names.clear();
    namesHeld = 0;
    generation += 1;
  }
  const entry: InternedName = { bytes: buf.slice(at, at + length), value, seenIn: 0 };
  if (candidates) candidates.push(entry);
  else names.set(hash, [entry]);
  namesHeld += 1;
  return entry;
}

/** `reader.string()` for a string that repeats across events: the same result, decoded once. */
export function readName(reader: BinaryReader, buf: Uint8Array): string {
  return readInternedName(reader, buf)?.value ?? reader.string();
}

export function sameBytes(bytes: Uint8Array, buf: Uint8Array, at: number, length: number): boolean {
  if (bytes.length !== length) return false;
  for (let i = 0; i < length; i++) if (bytes[i] !== buf[at + i]) return false;
  return true;
}

/** Changes whenever the cache is emptied: an `InternedName` from before is no longer the one returned. */
export function namesGeneration(): number {
  return generation;
}
