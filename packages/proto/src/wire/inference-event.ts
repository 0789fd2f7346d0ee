// A hand-written codec for InferenceEvent, the one message on every hot path: the SDK encodes one
// per prediction and both detectors decode every event. The generated ts-proto code spends most of
// its time in @bufbuild/protobuf's BinaryWriter/BinaryReader (fork/join, a TextEncoder call per
// string, an entry object and a recursion guard per map entry): 11-16 µs to encode and ~10 µs to
// decode an event of 30 numeric features. This codec produces the same bytes as
// `InferenceEvent.encode(…).finish()` and the same object as `InferenceEvent.decode(…)` (the tests
// compare both on random events), so nothing downstream can tell which one ran. Every other message
// keeps the generated code.
import { BinaryReader } from "@bufbuild/protobuf/wire";
import {
  Embedding,
  type FeatureValue,
  type InferenceEvent,
  type ModelOutput,
} from "../gen/argus/v1/inference.js";
import { readModelOutput } from "./model-output.js";
import { readName } from "./names.js";
import { readTimestampMs } from "./timestamp.js";

const encoder = new TextEncoder();

// ---------------------------------------------------------------- encoding

class Writer {
  // Assigned in the constructor (not as class fields, which the TS toolchain may compile to
  // defineProperty calls that leave the hot accessors slow).
  bytes: Uint8Array;
  view: DataView;
  at: number;
  featureIndex: number;
  readonly recentNames: string[];
  readonly recentPrepared: FeatureName[];

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = 0;
    this.featureIndex = 0;
    this.recentNames = [];
    this.recentPrepared = [];
  }

  reserve(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.at + n));
    grown.set(this.bytes.subarray(0, this.at));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  byte(value: number): void {
    this.reserve(1);
    this.bytes[this.at++] = value;
  }

  varint(value: number): void {
    // Non-negative safe integers (lengths, tags, uint32): what this message needs besides int64.
    this.reserve(10);
    let rest = value;
    while (rest > 0x7f) {
      this.bytes[this.at++] = (rest & 0x7f) | 0x80;
      rest = rest > 0xffffffff ? Math.floor(rest / 128) : rest >>> 7;
    }
    this.bytes[this.at++] = rest;
  }

  /** A signed 64-bit varint (Timestamp.seconds): negatives take ten bytes, as protobuf's int64. */
  int64(value: number): void {
    if (value >= 0) {
      this.varint(value);
      return;
    }
    let lo = (value % 0x100000000) >>> 0;
    let hi = Math.floor(value / 0x100000000) >>> 0;
    this.reserve(10);
    for (let i = 0; i < 9; i++) {
      this.bytes[this.at++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.bytes[this.at++] = 1;
  }

  /** int32: a negative value is sign-extended to ten bytes, as protobuf's int32. */
  int32(value: number): void {
    if (value >= 0) this.varint(value);
    else this.int64(value);
  }

  double(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.at, value, true);
    this.at += 8;
  }

  float(value: number): void {
    this.reserve(4);
    this.view.setFloat32(this.at, value, true);
    this.at += 4;
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** A string that repeats across events (a feature name, a label): its UTF-8 is cached. */
  name(value: string): void {
    const bytes = utf8(value);
    this.varint(bytes.length);
    this.raw(bytes);
  }

  /** A string of this event only (ids, text): encoded in place. */
  string(value: string): void {
    // Ids (UUIDs, pseudonyms) are ASCII: copied char by char, cheaper than measuring and encoding.
    if (value.length < 128) {
      this.reserve(1 + value.length);
      const bytes = this.bytes;
      const start = this.at + 1;
      let i = 0;
      for (; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c > 0x7f) break;
        bytes[start + i] = c;
      }
      if (i === value.length) {
        bytes[this.at] = i;
        this.at = start + i;
        return;
      }
    }
    const length = Buffer.byteLength(value, "utf8");
    this.varint(length);
    this.reserve(length);
    encoder.encodeInto(value, this.bytes.subarray(this.at, this.at + length));
    this.at += length;
  }

  /** A string field of this event only, omitted when empty (proto3's default). */
  stringField(tag: number, value: string): void {
    if (value === "") return;
    this.varint(tag);
    this.string(value);
  }

  /** A repeating string field (see `name`), omitted when empty. */
  nameField(tag: number, value: string): void {
    if (value === "") return;
    this.varint(tag);
    this.name(value);
  }

  /**
   * Opens a length-delimited field; returns where its length goes, for `close`. Bodies here are
   * short: one length byte is reserved, and `close` moves the body if it needed more.
   */
  open(tag: number): number {
    this.varint(tag);
    this.byte(0);
    return this.at - 1;
  }

  close(lengthAt: number): void {
    const start = lengthAt + 1;
    const length = this.at - start;
    const lengthBytes = varintSize(length);
    if (lengthBytes > 1) {
      this.reserve(lengthBytes - 1);
      this.bytes.copyWithin(start + lengthBytes - 1, start, this.at);
      this.at += lengthBytes - 1;
    }
    let rest = length;
    let at = lengthAt;
    while (rest > 0x7f) {
      this.bytes[at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    this.bytes[at] = rest;
  }

  // The features map (field 8), one entry { key = 1, value = 2 } per call: the `FeatureWriter`.

  number(name: string, value: number): void {
    // Entry and value have known lengths: the prefix is computed once per name (see FeatureName).
    const prefix = this.prepared(name).numberPrefix;
    this.reserve(prefix.length + 8);
    const bytes = this.bytes;
    let at = this.at;
    for (let i = 0; i < prefix.length; i++) bytes[at++] = prefix[i] as number;
    this.view.setFloat64(at, value, true);
    this.at = at + 8;
  }

  category(name: string, value: string): void {
    const entry = this.openEntry(name);
    const featureValue = this.open(18);
    this.varint(18);
    this.name(value);
    this.close(featureValue);
    this.close(entry);
  }

  text(name: string, value: string): void {
    const entry = this.openEntry(name);
    const featureValue = this.open(18);
    this.varint(26);
    this.string(value);
    this.close(featureValue);
    this.close(entry);
  }

  embedding(name: string, values: ArrayLike<number>): void {
    const entry = this.openEntry(name);
    const featureValue = this.open(18);
    const embedding = this.open(34);
    if (values.length > 0) {
      const packed = this.open(10);
      this.reserve(4 * values.length);
      for (let i = 0; i < values.length; i++) {
        this.view.setFloat32(this.at, values[i] as number, true);
        this.at += 4;
      }
      this.close(packed);
    }
    this.close(embedding);
    this.close(featureValue);
    this.close(entry);
  }

  /** A feature value with no kind set: the entry holds an empty FeatureValue. */
  empty(name: string): void {
    const entry = this.openEntry(name);
    this.varint(18);
    this.byte(0);
    this.close(entry);
  }

  /** Opens a features entry and writes its key; returns the entry's mark, to close. */
  private openEntry(name: string): number {
    const entry = this.open(66);
    const key = this.prepared(name).utf8;
    if (key.length > 0) {
      this.varint(10);
      this.varint(key.length);
      this.raw(key);
    }
    return entry;
  }

  /**
   * The prepared name of the event's next feature. A model sends the same names in the same order
   * on every event, so each position remembers its last name: one string comparison per feature
   * instead of a lookup, and a lookup only when the schema changes.
   */
  private prepared(name: string): FeatureName {
    const position = this.featureIndex++;
    if (this.recentNames[position] === name) return this.recentPrepared[position] as FeatureName;
    const prepared = featureName(name);
    if (position < MAX_REMEMBERED_POSITIONS) {
      this.recentNames[position] = name;
      this.recentPrepared[position] = prepared;
    }
    return prepared;
  }

  /** Starts an event at the beginning of the buffer. */
  begin(): void {
    this.at = 0;
    this.featureIndex = 0;
  }
}

const MAX_REMEMBERED_POSITIONS = 1_024;

/** A feature name's UTF-8 and the fixed bytes of a numeric entry, computed once per name. */
class FeatureName {
  readonly name: string;
  readonly utf8: Uint8Array;
  /** Entry tag and length, key field, value tag and length, number tag: all but the 8 bytes of the double. */
  readonly numberPrefix: Uint8Array;

  constructor(name: string) {
    this.name = name;
    this.utf8 = encoder.encode(name);
    const key = this.utf8.length === 0 ? 0 : 1 + varintSize(this.utf8.length) + this.utf8.length;
    const entryLength = key + 3 + 8;
    const prefix = new Writer(new Uint8Array(2 + varintSize(entryLength) + key + 3));
    prefix.varint(66);
    prefix.varint(entryLength);
    if (key > 0) {
      prefix.varint(10);
      prefix.varint(this.utf8.length);
      prefix.raw(this.utf8);
    }
    prefix.byte(18);
    prefix.byte(9);
    prefix.byte(9);
    this.numberPrefix = prefix.bytes.subarray(0, prefix.at);
  }
}

const featureNames = new Map<string, FeatureName>();

function featureName(name: string): FeatureName {
  let prepared = featureNames.get(name);
  if (prepared === undefined) {
    prepared = new FeatureName(name);
    if (name.length <= 64) {
      if (featureNames.size >= 4096) featureNames.clear();
      featureNames.set(name, prepared);
    }
  }
  return prepared;
}

/** Where `InferenceEventParts.writeFeatures` writes: one features entry per call, in call order. */
export interface FeatureWriter {
  number(name: string, value: number): void;
  category(name: string, value: string): void;
  text(name: string, value: string): void;
  /** Written as float32, as the contract says. */
  embedding(name: string, values: ArrayLike<number>): void;
}

/**
 * An InferenceEvent whose features a callback writes and whose time is in epoch ms: a producer
 * that holds its features in another form (the SDK, from what the application gave it) encodes
 * this without building the event, its feature objects and a Date.
 */
export interface InferenceEventParts<F> extends Omit<InferenceEvent, "features" | "eventTime"> {
  eventTimeMs: number | undefined;
  features: F;
  // A method (not a function-typed property) so that callers can pass their own feature type.
  writeFeatures(out: FeatureWriter, features: F): void;
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest > 0x7f; rest >>>= 7) size++;
  return size;
}

/** UTF-8 of strings that repeat on every event (labels, category values, ids of the model). */
const utf8Cache = new Map<string, Uint8Array>();

function utf8(value: string): Uint8Array {
  if (value.length > 64) return encoder.encode(value);
  let bytes = utf8Cache.get(value);
  if (bytes === undefined) {
    bytes = encoder.encode(value);
    if (utf8Cache.size >= 4096) utf8Cache.clear();
    utf8Cache.set(value, bytes);
  }
  return bytes;
}

/**
 * Encoding is synchronous, so one writer serves every call (its buffer grows to the largest event
 * seen); the result is a copy.
 */
const writer = new Writer(new Uint8Array(4_096));

/**
 * The bytes of `InferenceEvent.encode(event).finish()`, faster. Given parts instead of an event,
 * the bytes of the event they describe, in a Buffer (from Node's pool); `writeFeatures` must not
 * encode another event.
 */
export function encodeInferenceEvent(event: InferenceEvent): Uint8Array;
export function encodeInferenceEvent<F>(event: InferenceEventParts<F>): Buffer;
export function encodeInferenceEvent<F>(event: InferenceEvent | InferenceEventParts<F>): Uint8Array {
  const w = writer;
  w.begin();
  if ("writeFeatures" in event) {
    writeHead(w, event, event.eventTimeMs);
    event.writeFeatures(w, event.features);
    writeTail(w, event);
    const bytes = Buffer.allocUnsafe(w.at);
    bytes.set(w.bytes.subarray(0, w.at));
    return bytes;
  }
  writeHead(w, event, event.eventTime?.getTime());
  writeFeatureValues(w, event.features);
  writeTail(w, event);
  return w.bytes.slice(0, w.at);
}

function writeFeatureValues(w: Writer, features: InferenceEvent["features"]): void {
  for (const key of Object.keys(features)) {
    const kind = features[key]?.kind;
    switch (kind?.$case) {
      case "number":
        w.number(key, kind.value);
        break;
      case "category":
        w.category(key, kind.value);
        break;
      case "text":
        w.text(key, kind.value);
        break;
      case "embedding":
        w.embedding(key, kind.value.values);
        break;
      default:
        if (features[key] === undefined) {
          // An entry without a value: the generated encoder writes the key alone.
          const entry = w.open(66);
          w.nameField(10, key);
          w.close(entry);
        } else {
          w.empty(key);
        }
    }
  }
}

/** Fields 1 to 7, before the features. */
function writeHead(w: Writer, event: EventWithoutFeatures, eventTimeMs: number | undefined): void {
  w.stringField(10, event.eventId);
  w.nameField(18, event.modelId);
  w.nameField(26, event.modelVersion);
  w.stringField(34, event.requestId);
  w.stringField(42, event.clientId);
  w.nameField(50, event.tenant);
  if (eventTimeMs !== undefined) {
    const seconds = Math.trunc(eventTimeMs / 1_000);
    const nanos = (eventTimeMs % 1_000) * 1_000_000;
    const timestamp = w.open(58);
    if (seconds !== 0) {
      w.varint(8);
      w.int64(seconds);
    }
    if (nanos !== 0) {
      w.varint(16);
      w.int32(nanos);
    }
    w.close(timestamp);
  }
}

/** Fields 9 to 13, after the features. */
function writeTail(w: Writer, event: EventWithoutFeatures): void {
  if (event.output !== undefined) {
    const output = w.open(74);
    writeOutput(w, event.output);
    w.close(output);
  }
  if (event.latencyMs !== 0) {
    w.varint(81);
    w.double(event.latencyMs);
  }
  if (event.inputTokens !== 0) {
    w.varint(88);
    w.varint(event.inputTokens >>> 0);
  }
  if (event.outputTokens !== 0) {
    w.varint(96);
    w.varint(event.outputTokens >>> 0);
  }
  w.nameField(106, event.clientIdKeyId);
}

type EventWithoutFeatures = Omit<InferenceEvent, "features" | "eventTime">;

function writeOutput(w: Writer, output: ModelOutput): void {
  const kind = output.kind;
  switch (kind?.$case) {
    case "classification": {
      const { label, scores } = kind.value;
      const classification = w.open(10);
      w.nameField(10, label);
      for (const key of Object.keys(scores)) {
        const score = scores[key] as number;
        const entry = w.open(18);
        w.nameField(10, key);
        if (score !== 0) {
          w.varint(17);
          w.double(score);
        }
        w.close(entry);
      }
      w.close(classification);
      break;
    }
    case "regression":
      w.varint(17);
      w.double(kind.value);
      break;
    case "generatedText":
      w.varint(26);
      w.string(kind.value);
      break;
  }
}

// ---------------------------------------------------------------- decoding

/**
 * The object of `InferenceEvent.decode(bytes)`, faster: the same reader primitives and the same
 * rules (a field with an unexpected wire type is skipped, tag 0 or an end-group tag stops the
 * message, the last value of a field wins), without the generated code's per-message recursion
 * guard and entry objects. Timestamps, outputs and embeddings go through the generated decoders.
 */
export function decodeInferenceEvent(bytes: Uint8Array): InferenceEvent {
  const reader = new BinaryReader(bytes);
  const message: InferenceEvent = {
    eventId: "",
    modelId: "",
    modelVersion: "",
    requestId: "",
    clientId: "",
    tenant: "",
    eventTime: undefined,
    features: {},
    output: undefined,
    latencyMs: 0,
    inputTokens: 0,
    outputTokens: 0,
    clientIdKeyId: "",
  };
  const end = reader.len;
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10:
        message.eventId = reader.string();
        continue;
      case 18:
        message.modelId = reader.string();
        continue;
      case 26:
        message.modelVersion = reader.string();
        continue;
      case 34:
        message.requestId = reader.string();
        continue;
      case 42:
        message.clientId = reader.string();
        continue;
      case 50:
        message.tenant = reader.string();
        continue;
      case 58:
        message.eventTime = new Date(readTimestampMs(reader, reader.uint32()));
        continue;
      case 66:
        readFeatureEntry(reader, bytes, reader.uint32(), message.features);
        continue;
      case 74:
        message.output = readModelOutput(reader, bytes, reader.uint32());
        continue;
      case 81:
        message.latencyMs = reader.double();
        continue;
      case 88:
        message.inputTokens = reader.uint32();
        continue;
      case 96:
        message.outputTokens = reader.uint32();
        continue;
      case 106:
        message.clientIdKeyId = reader.string();
        continue;
    }
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
  return message;
}

function readFeatureEntry(
  reader: BinaryReader,
  buf: Uint8Array,
  length: number,
  features: InferenceEvent["features"],
): void {
  const end = reader.pos + length;
  let key = "";
  let value: FeatureValue | undefined;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) {
      key = readName(reader, buf);
      continue;
    }
    if (tag === 18) {
      value = readFeatureValue(reader, reader.uint32());
      continue;
    }
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
  if (value !== undefined) features[key] = value;
}

function readFeatureValue(reader: BinaryReader, length: number): FeatureValue {
  const end = reader.pos + length;
  const message: FeatureValue = { kind: undefined };
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 9:
        message.kind = { $case: "number", value: reader.double() };
        continue;
      case 18:
        message.kind = { $case: "category", value: reader.string() };
        continue;
      case 26:
        message.kind = { $case: "text", value: reader.string() };
        continue;
      case 34:
        message.kind = { $case: "embedding", value: Embedding.decode(reader, reader.uint32()) };
        continue;
    }
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
  return message;
}
