// Tests write events as InferenceEvent objects; the service reads them as the columnar decoder gives
// them. Going through the real bytes keeps the tests on the path production takes.
import { decodeInferenceEventColumns, InferenceEvent } from "@argus/proto";
import { accumulateWindows, type PcaContext, type WindowDelta } from "../src/domain/window-counters.js";

export function accumulateEvents(
  events: readonly InferenceEvent[],
  windowMsOf: (modelId: string) => number,
  pcaOf: (modelId: string) => PcaContext | undefined,
): Map<string, WindowDelta> {
  return accumulateWindows(
    events.map((event) => decodeInferenceEventColumns(InferenceEvent.encode(event).finish())),
    windowMsOf,
    pcaOf,
  );
}
