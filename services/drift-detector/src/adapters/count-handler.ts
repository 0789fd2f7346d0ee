import type { InferenceEvent } from "@argus/proto";
import { applyFenced, type FencedCommand, hashTag, type OffsetFence, type RecordBatch } from "@argus/runtime";
import { countByModel } from "../domain/event-counts.js";

/** Adds each batch's per-model event counts to Redis, exactly once per record (offset fence). */
export function createCountHandler(
  fence: OffsetFence,
  key: (...parts: string[]) => string,
): (batch: RecordBatch<InferenceEvent>) => Promise<void> {
  return async (batch) => {
    await applyFenced(fence, batch, async (records) => {
      const commands: FencedCommand[] = [];
      for (const [model, count] of countByModel(records.map((record) => record.value))) {
        commands.push(["HINCRBY", key("model", hashTag(model), "counts"), "events", count]);
      }
      return commands;
    });
  };
}
