// A closed window keeps only what reports and later baselines need, in far less memory. Open, a
// window is a Redis hash with one field per sketch bucket (`f:<name>:d:p123` → count) so that
// batches can HINCRBY into it; that costs ~70 bytes a bucket (a hash that large is a hashtable) and
// ~220 KiB a window at 30 features. Closed, it takes no more data (late events only count), so its
// sketches and exact extremes become one field, `k`: per sketch its buckets as varints (indices
// delta-coded in order, then counts), per feature its low and high as float64s, all deflated and
// base64'd. A hash of a dozen small fields is also far cheaper for Redis than one of hundreds.
// Lossless: the parsed window is the same before and after.
import { deflateRawSync, inflateRawSync } from "node:zlib";

/** The field that holds a closed window's packed sketches and extremes. */
export const packedField = "k";

export interface WindowCompaction {
  /** Fields to set (the packed field). */
  set: Record<string, string>;
  /** Bucket and extreme fields to delete. */
  remove: string[];
}

export interface PackedWindow {
  /** Buckets (`p<i>`, `n<i>`, `z` → count) by sketch prefix (`f:<name>`, `p`, `s`). */
  sketches: Map<string, Map<string, number>>;
  /** Exact [low, high] by sketch prefix. */
  extremes: Map<string, [number, number]>;
}

const bucketPattern = /^(z|[pn]-?\d+)$/;

/** The compaction of a closed window's hash (nothing to do when it has no bucket or extreme fields). */
export function compactWindow(hash: Record<string, string>): WindowCompaction {
  const packed: PackedWindow =
    hash[packedField] === undefined
      ? { sketches: new Map(), extremes: new Map() }
      : unpackWindow(hash[packedField]);
  const remove: string[] = [];
  for (const [field, raw] of Object.entries(hash)) {
    const at = field.lastIndexOf(":");
    const prefix = field.slice(0, at);
    const last = field.slice(at + 1);
    if (last === "lo" || last === "hi") {
      const value = Number(raw);
      const [lo, hi] = packed.extremes.get(prefix) ?? [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
      packed.extremes.set(prefix, last === "lo" ? [Math.min(lo, value), hi] : [lo, Math.max(hi, value)]);
      remove.push(field);
      continue;
    }
    const sketchAt = field.lastIndexOf(":d:");
    if (sketchAt < 0 || !bucketPattern.test(field.slice(sketchAt + 3))) continue;
    const sketch = field.slice(0, sketchAt);
    const bucket = field.slice(sketchAt + 3);
    const buckets = packed.sketches.get(sketch) ?? new Map<string, number>();
    packed.sketches.set(sketch, buckets);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + Number(raw));
    remove.push(field);
  }
  return remove.length === 0 ? { set: {}, remove } : { set: { [packedField]: packWindow(packed) }, remove };
}

export function packWindow(window: PackedWindow): string {
  const out: number[] = [];
  writeVarint(out, window.sketches.size);
  for (const [prefix, buckets] of [...window.sketches].sort(([a], [b]) => (a < b ? -1 : 1))) {
    writeText(out, prefix);
    writeBuckets(out, buckets);
  }
  writeVarint(out, window.extremes.size);
  const pair = Buffer.alloc(16);
  for (const [prefix, [lo, hi]] of [...window.extremes].sort(([a], [b]) => (a < b ? -1 : 1))) {
    writeText(out, prefix);
    pair.writeDoubleLE(lo, 0);
    pair.writeDoubleLE(hi, 8);
    out.push(...pair);
  }
  return deflateRawSync(Buffer.from(out)).toString("base64");
}

export function unpackWindow(packed: string): PackedWindow {
  const reader = { bytes: inflateRawSync(Buffer.from(packed, "base64")), at: 0 };
  const window: PackedWindow = { sketches: new Map(), extremes: new Map() };
  for (let sketches = readVarint(reader); sketches > 0; sketches--) {
    const prefix = readText(reader);
    window.sketches.set(prefix, readBuckets(reader));
  }
  for (let extremes = readVarint(reader); extremes > 0; extremes--) {
    const prefix = readText(reader);
    if (reader.at + 16 > reader.bytes.length) throw new Error("packed window ends inside an extreme");
    window.extremes.set(prefix, [
      reader.bytes.readDoubleLE(reader.at),
      reader.bytes.readDoubleLE(reader.at + 8),
    ]);
    reader.at += 16;
  }
  if (reader.at !== reader.bytes.length) throw new Error("packed window has trailing bytes");
  return window;
}

interface Reader {
  bytes: Buffer;
  at: number;
}

function writeBuckets(out: number[], buckets: ReadonlyMap<string, number>): void {
  const positive: [number, number][] = [];
  const negative: [number, number][] = [];
  let zero = 0;
  for (const [bucket, count] of buckets) {
    if (bucket === "z") zero += count;
    else (bucket[0] === "p" ? positive : negative).push([Number(bucket.slice(1)), count]);
  }
  writeVarint(out, zero);
  for (const side of [positive, negative]) {
    side.sort((a, b) => a[0] - b[0]);
    writeVarint(out, side.length);
    let previous = 0;
    side.forEach(([index], i) => {
      // The first index may be negative (magnitudes below 1); later ones only grow.
      writeVarint(out, i === 0 ? zigzag(index) : index - previous);
      previous = index;
    });
    for (const [, count] of side) writeVarint(out, count);
  }
}

function readBuckets(reader: Reader): Map<string, number> {
  const buckets = new Map<string, number>();
  const zero = readVarint(reader);
  if (zero > 0) buckets.set("z", zero);
  for (const sign of ["p", "n"]) {
    const length = readVarint(reader);
    const indices: number[] = [];
    let previous = 0;
    for (let i = 0; i < length; i++) {
      const value = readVarint(reader);
      previous = i === 0 ? unzigzag(value) : previous + value;
      indices.push(previous);
    }
    for (const index of indices) buckets.set(`${sign}${index}`, readVarint(reader));
  }
  return buckets;
}

function writeText(out: number[], text: string): void {
  const bytes = Buffer.from(text, "utf8");
  writeVarint(out, bytes.length);
  out.push(...bytes);
}

function readText(reader: Reader): string {
  const length = readVarint(reader);
  if (reader.at + length > reader.bytes.length) throw new Error("packed window ends inside a name");
  const text = reader.bytes.toString("utf8", reader.at, reader.at + length);
  reader.at += length;
  return text;
}

function zigzag(n: number): number {
  return n >= 0 ? 2 * n : -2 * n - 1;
}

function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

function writeVarint(out: number[], value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot pack ${value}`);
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

function readVarint(reader: Reader): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = reader.bytes[reader.at++];
    if (byte === undefined) throw new Error("packed window ends inside a number");
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
  }
}
