import type { Admin } from "kafkajs";

/** Records of `topic` that consumer group `groupId` has not committed yet (all partitions). */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const done = new Map(
    (committed[0]?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]),
  );
  return ends.reduce((lag, p) => lag + Math.max(0, Number(p.high) - (done.get(p.partition) ?? 0)), 0);
}

/** Records in `topic` (sum of its partitions' end offsets; the topics here are never compacted). */
export async function topicSize(admin: Admin, topic: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  return ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/**
 * Polls until `group` has committed everything in `topic`. `report` is called at most every
 * `reportEveryMs` with the lag. Rejects after `timeoutMs`, naming the lag left.
 */
export async function waitForDrain(
  admin: Admin,
  groupId: string,
  topic: string,
  options: { timeoutMs: number; reportEveryMs: number; report: (lag: number) => void; alive?: () => void },
): Promise<void> {
  const started = Date.now();
  let reportedAt = started;
  for (;;) {
    options.alive?.();
    const lag = await groupLag(admin, groupId, topic);
    if (lag === 0) return;
    if (Date.now() - started > options.timeoutMs) {
      throw new Error(
        `${groupId} still ${lag} records behind on ${topic} after ${options.timeoutMs / 1000} s`,
      );
    }
    if (Date.now() - reportedAt >= options.reportEveryMs) {
      reportedAt = Date.now();
      options.report(lag);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
