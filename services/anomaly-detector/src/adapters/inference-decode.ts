import type { InferenceEvent } from "@argus/proto";
import { type Decoded, decodeInferenceEventAsColumns } from "@argus/runtime";
import { ColumnarInferenceEvent } from "../domain/event-features.js";

/**
 * An `argus.inference.v1` record as the inference handler takes it: decoded as columns (what the
 * detectors read, see event-features.ts), checked and rejected as `decodeInferenceEvent` does.
 */
export function decodeInferenceRecord(value: Buffer | null): Decoded<InferenceEvent> {
  const decoded = decodeInferenceEventAsColumns(value);
  return decoded.ok ? { ok: true, value: new ColumnarInferenceEvent(decoded.value) } : decoded;
}
