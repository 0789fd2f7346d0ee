import type { InferenceEvent } from "@argus/proto";

/** Events per model in a batch: the first, mergeable statistic (sums add up across replicas). */
export function countByModel(events: InferenceEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(event.modelId, (counts.get(event.modelId) ?? 0) + 1);
  return counts;
}
