// ModelOutput as `ModelOutput.decode` reads it, without the generated code's recursion guard and
// entry objects: a classification's labels repeat on every event, so they are interned.
import type { BinaryReader } from "@bufbuild/protobuf/wire";
import type { Classification, ModelOutput } from "../gen/argus/v1/inference.js";
import { readName } from "./names.js";

/** `ModelOutput.decode(reader, length)`: the same object and the same errors. */
export function readModelOutput(reader: BinaryReader, buf: Uint8Array, length: number): ModelOutput {
  const end = reader.pos + length;
  const message: ModelOutput = { kind: undefined };
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10:
        message.kind = { $case: "classification", value: readClassification(reader, buf, reader.uint32()) };
        continue;
      case 17:
        message.kind = { $case: "regression", value: reader.double() };
        continue;
      case 26:
        message.kind = { $case: "generatedText", value: reader.string() };
        continue;
    }
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
  return message;
}

function readClassification(reader: BinaryReader, buf: Uint8Array, length: number): Classification {
  const end = reader.pos + length;
  const message: Classification = { label: "", scores: {} };
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) {
      message.label = readName(reader, buf);
      continue;
    }
    if (tag === 18) {
      const entryEnd = reader.uint32() + reader.pos;
      let key = "";
      let value = 0;
      while (reader.pos < entryEnd) {
        const entryTag = reader.uint32();
        if (entryTag === 10) {
          key = readName(reader, buf);
          continue;
        }
        if (entryTag === 17) {
          value = reader.double();
          continue;
        }
        if ((entryTag & 7) === 4 || entryTag === 0) break;
        reader.skip(entryTag & 7);
      }
      message.scores[key] = value;
      continue;
    }
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
  return message;
}
