// The drift-detector reads every feature of every event once and keeps none of them: building an
// object per feature (`{ kind: { $case: "number", value } }`, two per feature, 60 per event) and
// walking that map again cost more than its own work. This decoder gives the same event with the
// numeric features as two parallel columns: names (shared by every event of a model with the same
// names, so a consumer can compare by identity and index its per-feature state) and values.
import { BinaryReader } from "@bufbuild/protobuf/wire";
import {
  Embedding,
  type FeatureValue,
  type InferenceEvent,
  type ModelOutput,
} from "../gen/argus/v1/inference.js";
import { decodeInferenceEvent } from "./inference-event.js";
import { readModelOutput } from "./model-output.js";
import { type InternedName, namesGeneration, readInternedName, readName, sameBytes } from "./names.js";
import { readTimestampMs } from "./timestamp.js";

export interface InferenceEventColumns {
  eventId: string;
  modelId: string;
  modelVersion: string;
  requestId: string;
  clientId: string;
  tenant: string;
  /** Milliseconds since the epoch (the time `InferenceEvent.eventTime` holds); NaN when absent. */
  eventTimeMs: number;
  /**
   * Names of the features whose value is a number, in the order they came. Events of one model
   * with the same names share one frozen array: compare by identity.
   */
  numberNames: readonly string[];
  /** `numberValues[i]` is the value of `numberNames[i]`. */
  numberValues: Float64Array;
  /** Every other feature (category, text, embedding, unset), in the order they came. */
  otherFeatures: readonly (readonly [string, FeatureValue])[];
  output: ModelOutput | undefined;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  clientIdKeyId: string;
}

/** The columns of the InferenceEvent in `bytes`: what `decodeInferenceEvent` gives, features split. */
export function decodeInferenceEventColumns(bytes: Uint8Array): InferenceEventColumns {
  const reader = new BinaryReader(bytes);
  const event = emptyColumns();
  const stamp = ++decoding;
  const generation = namesGeneration();
  let names = 0;
  let others: [string, FeatureValue][] | undefined;
  // Names not interned (long, or empty): rare, so a set only when one appears.
  let uninterned: Set<string> | undefined;
  let repeatedKey = false;
  // The names this model's last event carried, in order: what this one most likely carries.
  let expectedNames: readonly (InternedName | undefined)[] | undefined;
  const end = reader.len;
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10:
        event.eventId = reader.string();
        continue;
      case 18:
        event.modelId = readName(reader, bytes);
        {
          const layout = layouts.get(event.modelId);
          // Entries from before the name cache was emptied are not the ones it returns now.
          expectedNames = layout?.generation === generation ? layout.entries : undefined;
        }
        continue;
      case 26:
        event.modelVersion = readName(reader, bytes);
        continue;
      case 34:
        event.requestId = reader.string();
        continue;
      case 42:
        event.clientId = reader.string();
        continue;
      case 50:
        event.tenant = readName(reader, bytes);
        continue;
      case 58:
        event.eventTimeMs = readTimestampMs(reader, reader.uint32());
        continue;
      case 66: {
        // The common entry, { key: short name, value: { number } }, read straight from the bytes:
        // its layout is fixed, so it is recognised by its bytes and its length adds up.
        const at = reader.pos;
        const length = bytes[at] as number;
        const nameLength = bytes[at + 2] as number;
        const valueAt = at + 3 + nameLength;
        if (
          littleEndian &&
          length === nameLength + 13 &&
          bytes[at + 1] === 10 &&
          nameLength > 0 &&
          bytes[valueAt] === 18 &&
          bytes[valueAt + 1] === 9 &&
          bytes[valueAt + 2] === 9 &&
          at + 1 + length <= end
        ) {
          const expected = expectedNames?.[names];
          let interned: InternedName | undefined;
          if (expected !== undefined && sameBytes(expected.bytes, bytes, at + 3, nameLength)) {
            interned = expected;
          } else {
            reader.pos = at + 2;
            interned = readInternedName(reader, bytes);
          }
          if (interned !== undefined) {
            if (interned.seenIn === stamp) repeatedKey = true;
            interned.seenIn = stamp;
            for (let i = 0; i < 8; i++) doubleBytes[i] = bytes[valueAt + 3 + i] as number;
            names = holdNumber(names, interned.value, interned, doubleView[0] as number);
            reader.pos = at + 1 + length;
            continue;
          }
          reader.pos = at;
        }
        const entryEnd = reader.uint32() + reader.pos;
        let name = "";
        let interned: ReturnType<typeof readInternedName>;
        let hasValue = false;
        let kind = 0;
        let number = 0;
        let other: FeatureValue["kind"];
        while (reader.pos < entryEnd) {
          const entryTag = reader.uint32();
          if (entryTag === 10) {
            interned = readInternedName(reader, bytes);
            name = interned === undefined ? reader.string() : interned.value;
            continue;
          }
          if (entryTag === 18) {
            hasValue = true;
            // FeatureValue's oneof: the last field present wins.
            const valueEnd = reader.uint32() + reader.pos;
            kind = 0;
            other = undefined;
            while (reader.pos < valueEnd) {
              const valueTag = reader.uint32();
              if (valueTag === 9) {
                kind = 1;
                number = reader.double();
                continue;
              }
              if (valueTag === 18) {
                kind = 2;
                other = { $case: "category", value: reader.string() };
                continue;
              }
              if (valueTag === 26) {
                kind = 2;
                other = { $case: "text", value: reader.string() };
                continue;
              }
              if (valueTag === 34) {
                kind = 2;
                other = { $case: "embedding", value: Embedding.decode(reader, reader.uint32()) };
                continue;
              }
              if ((valueTag & 7) === 4 || valueTag === 0) break;
              reader.skip(valueTag & 7);
            }
            continue;
          }
          if ((entryTag & 7) === 4 || entryTag === 0) break;
          reader.skip(entryTag & 7);
        }
        if (!hasValue) continue;
        // A key may repeat in a map; the last entry wins, which the generated decoder does for us.
        if (interned === undefined || name === "") {
          uninterned ??= new Set();
          if (uninterned.has(name)) repeatedKey = true;
          uninterned.add(name);
        } else if (interned.seenIn === stamp) {
          repeatedKey = true;
        } else {
          interned.seenIn = stamp;
        }
        if (kind === 1) {
          names = holdNumber(names, name, interned, number);
        } else {
          others ??= [];
          others.push([name, { kind: other }]);
        }
        continue;
      }
      case 74:
        event.output = readModelOutput(reader, bytes, reader.uint32());
        continue;
      case 81:
        event.latencyMs = reader.double();
        continue;
      case 88:
        event.inputTokens = reader.uint32();
        continue;
      case 96:
        event.outputTokens = reader.uint32();
        continue;
      case 106:
        event.clientIdKeyId = readName(reader, bytes);
        continue;
    }
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
  // Emptying the name cache mid-event makes `seenIn` blind to a repeat across the two halves.
  if (repeatedKey || generation !== namesGeneration())
    return inferenceEventColumns(decodeInferenceEvent(bytes));
  event.numberNames = layoutOf(event.modelId, names);
  event.numberValues = valueScratch.slice(0, names);
  if (others) event.otherFeatures = others;
  return event;
}

/** The columns of an event already decoded (tests, and the rare event with a repeated feature key). */
export function inferenceEventColumns(event: InferenceEvent): InferenceEventColumns {
  const columns = emptyColumns();
  columns.eventId = event.eventId;
  columns.modelId = event.modelId;
  columns.modelVersion = event.modelVersion;
  columns.requestId = event.requestId;
  columns.clientId = event.clientId;
  columns.tenant = event.tenant;
  columns.eventTimeMs = event.eventTime === undefined ? Number.NaN : event.eventTime.getTime();
  columns.output = event.output;
  columns.latencyMs = event.latencyMs;
  columns.inputTokens = event.inputTokens;
  columns.outputTokens = event.outputTokens;
  columns.clientIdKeyId = event.clientIdKeyId;
  let names = 0;
  const others: [string, FeatureValue][] = [];
  // Own keys only: a "__proto__" key decoded into a plain object becomes its prototype, whose
  // fields `for…in` would list as features.
  for (const name of Object.keys(event.features)) {
    const value = event.features[name] as FeatureValue;
    if (value.kind?.$case === "number") {
      names = holdNumber(names, name, undefined, value.kind.value);
    } else {
      others.push([name, value]);
    }
  }
  columns.numberNames = layoutOf(columns.modelId, names);
  columns.numberValues = valueScratch.slice(0, names);
  if (others.length > 0) columns.otherFeatures = others;
  return columns;
}

let decoding = 0;
let nameScratch: string[] = new Array<string>(256).fill("");
let valueScratch = new Float64Array(256);
/** The interned name behind each of `nameScratch` (undefined when not interned), for `layouts`. */
let entryScratch: (InternedName | undefined)[] = new Array<InternedName | undefined>(256).fill(undefined);
// A double's 8 little-endian bytes are copied here and read back, without a DataView per event.
const doubleView = new Float64Array(1);
const doubleBytes = new Uint8Array(doubleView.buffer);
const littleEndian = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** Holds a numeric feature at position `at` of the scratch columns; returns the next position. */
function holdNumber(at: number, name: string, interned: InternedName | undefined, value: number): number {
  if (at === nameScratch.length) growScratch();
  nameScratch[at] = name;
  entryScratch[at] = interned;
  valueScratch[at] = value;
  return at + 1;
}

function growScratch(): void {
  const names = new Array<string>(nameScratch.length * 2).fill("");
  for (let i = 0; i < nameScratch.length; i++) names[i] = nameScratch[i] as string;
  nameScratch = names;
  const entries = new Array<InternedName | undefined>(nameScratch.length).fill(undefined);
  for (let i = 0; i < entryScratch.length; i++) entries[i] = entryScratch[i];
  entryScratch = entries;
  const values = new Float64Array(valueScratch.length * 2);
  values.set(valueScratch);
  valueScratch = values;
}

/** The last names per model: most events of a model carry the same names in the same order. */
const layouts = new Map<
  string,
  { names: readonly string[]; entries: readonly (InternedName | undefined)[]; generation: number }
>();

/** Wider events are rare and keep their own names array (not shared, not predicted). */
const maxLayoutNames = 4_096;

function layoutOf(modelId: string, count: number): readonly string[] {
  const known = layouts.get(modelId);
  if (known !== undefined && known.names.length === count) {
    let same = true;
    for (let i = 0; i < count; i++) {
      if (known.names[i] !== nameScratch[i]) {
        same = false;
        break;
      }
    }
    if (same) return known.names;
  }
  const names = Object.freeze(nameScratch.slice(0, count));
  // Bounded like the name cache, in models and in names per model: both come from the stream.
  if (count > maxLayoutNames) return names;
  if (layouts.size >= 1_024 && known === undefined) layouts.clear();
  layouts.set(modelId, { names, entries: entryScratch.slice(0, count), generation: namesGeneration() });
  return names;
}

function emptyColumns(): InferenceEventColumns {
  return {
    eventId: "",
    modelId: "",
    modelVersion: "",
    requestId: "",
    clientId: "",
    tenant: "",
    eventTimeMs: Number.NaN,
    numberNames: noNames,
    numberValues: noValues,
    otherFeatures: noOthers,
    output: undefined,
    latencyMs: 0,
    inputTokens: 0,
    outputTokens: 0,
    clientIdKeyId: "",
  };
}

const noNames: readonly string[] = Object.freeze([]);
const noValues = new Float64Array(0);
const noOthers: readonly (readonly [string, FeatureValue])[] = Object.freeze([]);
