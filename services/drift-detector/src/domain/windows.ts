/** Start (ms since epoch) of the tumbling window of size `windowMs` that holds `eventTimeMs`. */
export function windowStartOf(eventTimeMs: number, windowMs: number): number {
  return Math.floor(eventTimeMs / windowMs) * windowMs;
}

export interface PartitionWatermark {
  /** Largest event time seen on the partition (ms). */
  eventTimeMs: number;
  /** When (wall clock, ms) the partition last advanced. */
  updatedAtMs: number;
}

/**
 * The event time up to which every partition has delivered (Flink-style: the minimum over
 * partitions). A partition that has not advanced for `idleMs` of wall time is idle and does not
 * hold the others back; when all are idle the largest event time counts, so the last windows of a
 * stream that stopped still close. A partition that stalls because its consumer died is not idle
 * until `idleMs` passes, so `idleMs` must exceed a rebalance: that keeps its events from being late.
 */
export function globalWatermark(
  partitions: PartitionWatermark[],
  nowMs: number,
  idleMs: number,
): number | null {
  if (partitions.length === 0) return null;
  const active = partitions.filter((partition) => nowMs - partition.updatedAtMs < idleMs);
  const considered = active.length > 0 ? active : partitions;
  const times = considered.map((partition) => partition.eventTimeMs);
  return active.length > 0 ? Math.min(...times) : Math.max(...times);
}

/** A window may be evaluated once the watermark has passed its end plus the allowed lateness. */
export function isWindowClosable(
  windowStartMs: number,
  windowMs: number,
  allowedLatenessMs: number,
  watermarkMs: number | null,
): boolean {
  return watermarkMs !== null && watermarkMs >= windowStartMs + windowMs + allowedLatenessMs;
}
