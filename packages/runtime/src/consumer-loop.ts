import type { Consumer, Kafka, KafkaMessage } from "kafkajs";
import type { DeadLetterPublisher, RejectedRecord } from "./dead-letter.js";
import type { Logger } from "./logger.js";
import type { ServiceMetrics } from "./metrics.js";
import { type Context, extractTraceContext, headersToRecord } from "./tracing.js";

/** What a decoder says of one record: the decoded value, or why it belongs in the dead-letter topic. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ConsumedRecord<T> {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: T;
  headers: Record<string, string>;
  timestamp: string;
  /** The producer's trace context from the `traceparent` header (ROOT when absent). */
  traceContext: Context;
}

export interface RecordBatch<T> {
  topic: string;
  partition: number;
  /** Only the records that decoded; offsets may have gaps where records were dead-lettered. */
  records: ConsumedRecord<T>[];
  /** Offset of the last record of this chunk, decoded or not: the position the effects cover. */
  lastOffset: string;
}

export interface BatchConsumerOptions<T> {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  decode: (value: Buffer | null, headers: Record<string, string>) => Decoded<T>;
  /**
   * Stores the effects of a batch. It must be idempotent for records at or below an offset it has
   * already applied: the loop commits offsets only after it returns, so after a crash or a
   * rebalance the same records arrive again.
   */
  handle: (batch: RecordBatch<T>) => Promise<void>;
  deadLetters: DeadLetterPublisher;
  logger: Logger;
  metrics: ServiceMetrics;
  sessionTimeoutMs?: number;
  /** Records handed to `handle` at once; big fetches are cut so heartbeats keep flowing. */
  maxChunk?: number;
  /**
   * Partitions processed at once by this consumer (default 1). More lets one partition's Redis
   * and Kafka round trips overlap another's work; ordering within a partition is kept.
   */
  partitionsConcurrently?: number;
  clock?: () => Date;
}

export interface RunningConsumer {
  consumer: Consumer;
  /** False once the consumer crashed without restarting: the service must not report ready. */
  healthy(): boolean;
  /** Finishes the batch in hand, commits it, and leaves the group. */
  stop(): Promise<void>;
}

/**
 * The consume loop of every Argus service: at-least-once delivery with effects stored before the
 * offset is committed, bad records dead-lettered (never dropped, never blocking the partition).
 */
export async function startBatchConsumer<T>(options: BatchConsumerOptions<T>): Promise<RunningConsumer> {
  const { kafka, groupId, topics, decode, handle, deadLetters, logger, metrics } = options;
  const maxChunk = options.maxChunk ?? 1000;
  const clock = options.clock ?? (() => new Date());
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
    maxBytesPerPartition: 4 * 1024 * 1024,
    // A fetch returns as soon as records arrive; this only bounds how long an idle fetch (and so
    // a graceful shutdown) waits.
    maxWaitTimeInMs: 1_000,
    retry: { retries: 10, initialRetryTime: 300 },
  });
  let crashedForGood = false;
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: payload.error.message, groupId, restart: payload.restart }, "consumer crashed");
    if (!payload.restart) crashedForGood = true;
  });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.partitionsConcurrently ?? 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      const messages = batch.messages;
      for (let start = 0; start < messages.length; start += maxChunk) {
        if (!isRunning() || isStale()) return;
        const chunk = messages.slice(start, start + maxChunk);
        const startedAt = performance.now();
        const accepted: ConsumedRecord<T>[] = [];
        const rejected: RejectedRecord[] = [];
        for (const message of chunk) {
          sortRecord(message, batch.topic, batch.partition, decode, accepted, rejected);
        }
        const lastOffset = (chunk[chunk.length - 1] as KafkaMessage).offset;
        // Dead letters first: once the effects below are stored the offset may be committed,
        // and a rejected record must already be safe on its topic by then.
        await deadLetters.publish(rejected, clock());
        await handle({ topic: batch.topic, partition: batch.partition, records: accepted, lastOffset });
        resolveOffset(lastOffset);
        // Through the batch's own commit, not consumer.commitOffsets: once stop() has begun the
        // latter returns without committing, and the batch stop() waits for would be delivered again.
        await commitOffsetsIfNecessary({
          topics: [
            {
              topic: batch.topic,
              partitions: [{ partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }],
            },
          ],
        });
        await heartbeat();
        metrics.recordsConsumed.inc({ topic: batch.topic, result: "accepted" }, accepted.length);
        metrics.recordsConsumed.inc({ topic: batch.topic, result: "dead_lettered" }, rejected.length);
        metrics.batchSeconds.observe({ topic: batch.topic }, (performance.now() - startedAt) / 1000);
        metrics.consumerLag.set(
          { topic: batch.topic, partition: String(batch.partition) },
          Number(batch.offsetLag()),
        );
        if (rejected.length > 0) {
          logger.warn(
            {
              topic: batch.topic,
              partition: batch.partition,
              count: rejected.length,
              reason: rejected[0]?.reason,
            },
            "records dead-lettered",
          );
        }
      }
    },
  });

  return {
    consumer,
    healthy: () => !crashedForGood,
    stop: async () => {
      await consumer.disconnect();
    },
  };
}

function sortRecord<T>(
  message: KafkaMessage,
  topic: string,
  partition: number,
  decode: BatchConsumerOptions<T>["decode"],
  accepted: ConsumedRecord<T>[],
  rejected: RejectedRecord[],
): void {
  const headers = headersToRecord(message.headers);
  let decoded: Decoded<T>;
  try {
    decoded = decode(message.value, headers);
  } catch (error) {
    decoded = { ok: false, reason: `decode failed: ${(error as Error).message}` };
  }
  if (decoded.ok) {
    accepted.push({
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: decoded.value,
      headers,
      timestamp: message.timestamp,
      traceContext: extractTraceContext(headers),
    });
  } else {
    rejected.push({
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers,
      reason: decoded.reason,
    });
  }
}
