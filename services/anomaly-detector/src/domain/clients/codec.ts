// Compact, JSON-safe encodings of the small numeric arrays that per-client state keeps in Redis.
// Everything is base64 of a little-endian byte layout: 4 characters per 3 bytes, no separators, and
// no float formatting (a JSON number costs 2-20 characters, a base64'd int8 costs 1.33).
import { createHash } from "node:crypto";

/** Largest magnitude an int8 code may take (symmetric: -127..127, -128 is never produced). */
export const INT8_MAX = 127;

/**
 * Quantizes a normalized feature vector to int8 codes `round(x * scale)`, clamped to ±127.
 * The reconstruction `code / scale` is within `0.5 / scale` of `x` for |x| ≤ 127 / scale; larger
 * magnitudes are clamped (they are extreme outliers of a z-scored or min-max feature). NaN maps to 0
 * (the input validator reports non-finite values on its own), ±Infinity to ±127.
 */
export function quantizeInt8(vector: ArrayLike<number>, scale: number): Int8Array {
  const out = new Int8Array(vector.length);
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i] as number;
    if (Number.isNaN(x)) continue;
    const q = Math.round(x * scale);
    out[i] = Math.max(-INT8_MAX, Math.min(INT8_MAX, q));
  }
  return out;
}

export function encodeInt8(values: Int8Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64");
}

export function decodeInt8(text: string): Int8Array {
  const bytes = Buffer.from(text, "base64");
  return new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function encodeUint16(values: ArrayLike<number>): string {
  const bytes = Buffer.alloc(values.length * 2);
  for (let i = 0; i < values.length; i++) bytes.writeUInt16LE((values[i] as number) & 0xffff, i * 2);
  return bytes.toString("base64");
}

export function decodeUint16(text: string): Uint16Array {
  const bytes = Buffer.from(text, "base64");
  const out = new Uint16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readUInt16LE(i * 2);
  return out;
}

export function encodeInt32(values: ArrayLike<number>): string {
  const bytes = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeInt32LE((values[i] as number) | 0, i * 4);
  return bytes.toString("base64");
}

export function decodeInt32(text: string): Int32Array {
  const bytes = Buffer.from(text, "base64");
  const out = new Int32Array(bytes.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt32LE(i * 4);
  return out;
}

/** Packs 12-bit codes (0..4095) two per 3 bytes, base64. */
export function encodeUint12(values: ArrayLike<number>): string {
  const bytes = Buffer.alloc(Math.ceil((values.length * 3) / 2));
  for (let i = 0; i < values.length; i += 2) {
    const a = (values[i] as number) & 0xfff;
    const b = i + 1 < values.length ? (values[i + 1] as number) & 0xfff : 0;
    const o = (i >> 1) * 3;
    bytes[o] = a & 0xff;
    bytes[o + 1] = (a >> 8) | ((b & 0x0f) << 4);
    if (i + 1 < values.length) bytes[o + 2] = b >> 4;
  }
  return bytes.toString("base64");
}

export function decodeUint12(text: string): Uint16Array {
  const bytes = Buffer.from(text, "base64");
  const out = new Uint16Array(Math.floor((bytes.length * 2) / 3));
  for (let i = 0; i < out.length; i++) {
    const o = (i >> 1) * 3;
    out[i] =
      i % 2 === 0
        ? (bytes[o] as number) | (((bytes[o + 1] as number) & 0x0f) << 8)
        : ((bytes[o + 1] as number) >> 4) | ((bytes[o + 2] as number) << 4);
  }
  return out;
}

/** Number of uint16 values in a base64 string made by `encodeUint16`, without decoding it. */
export function uint16Count(base64: string): number {
  return Buffer.byteLength(base64, "base64") >> 1;
}

/** Longest label kept verbatim as a state key; longer labels are replaced by a short digest. */
export const MAX_LABEL_KEY_CHARS = 32;

/**
 * The key under which a predicted label is kept in per-client state: the label itself when it is
 * short, else `#` + 12 hex characters of its SHA-256 (so a model with long string labels cannot blow
 * the per-client bound, and distinct long labels stay distinct with overwhelming probability).
 */
export function labelKey(label: string | number): string {
  const text = String(label);
  if (text.length <= MAX_LABEL_KEY_CHARS) return text;
  return `#${createHash("sha256").update(text).digest("hex").slice(0, 12)}`;
}

/** Serialized size of a state in bytes, as it would be stored (UTF-8 of `JSON.stringify`). */
export function serializedBytes(state: unknown): number {
  return Buffer.byteLength(JSON.stringify(state), "utf8");
}
