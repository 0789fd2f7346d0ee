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
 * hold the others back. When all are idle the stream has stopped (end of a burst, of the day, of a
 * replay, or a shutdown): the largest event time then moves on with the wall time that passed since
 * the stream last advanced, so the last windows close once the stream has been quiet for their
 * remaining length plus the allowed lateness, whatever the events' own times (a replay of
 * days-old traffic included), and a restart closes them too (the times are in Redis). A partition
 * that stalls because its consumer died is not idle until `idleMs` passes, so `idleMs` must exceed
 * a rebalance: that keeps its events from being late.
 */
export function globalWatermark(
  partitions: PartitionWatermark[],
  nowMs: number,
  idleMs: number,
): number | null {
  if (partitions.length === 0) return null;
  const active = partitions.filter((partition) => nowMs - partition.updatedAtMs < idleMs);
  if (active.length > 0) return Math.min(...active.map((partition) => partition.eventTimeMs));
  const latestEvent = Math.max(...partitions.map((partition) => partition.eventTimeMs));
  const lastAdvanced = Math.max(...partitions.map((partition) => partition.updatedAtMs));
  return latestEvent + Math.max(0, nowMs - lastAdvanced);
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
