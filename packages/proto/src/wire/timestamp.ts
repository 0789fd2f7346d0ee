// google.protobuf.Timestamp as the milliseconds an InferenceEvent's time is used as.
import type { BinaryReader } from "@bufbuild/protobuf/wire";

/**
 * The milliseconds `new Date(seconds * 1000 + nanos / 1e6).getTime()` gives for the Timestamp
 * `Timestamp.decode` reads (same errors), without the message object and the Date.
 */
export function readTimestampMs(reader: BinaryReader, length: number): number {
  const end = reader.pos + length;
  let seconds = 0;
  let nanos = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 8) {
      seconds = Number(reader.int64().toString());
      if (seconds > Number.MAX_SAFE_INTEGER) throw new Error("Value is larger than Number.MAX_SAFE_INTEGER");
      if (seconds < Number.MIN_SAFE_INTEGER) throw new Error("Value is smaller than Number.MIN_SAFE_INTEGER");
      continue;
    }
    if (tag === 16) {
      nanos = reader.int32();
      continue;
    }
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
  // The Date constructor's TimeClip: beyond ±8.64e15 ms is no time; otherwise truncated toward 0.
  const ms = seconds * 1_000 + nanos / 1_000_000;
  return Math.abs(ms) > 8.64e15 ? Number.NaN : Math.trunc(ms) + 0;
}
