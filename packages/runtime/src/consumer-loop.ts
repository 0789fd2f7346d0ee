import type { DeadLetterPublisher, RejectedRecord } from "./dead-letter.js";
import type { ClientConsumer, ConsumerPort, FetchedMessage } from "./kafka-port.js";
import type { Logger } from "./logger.js";
import type { ServiceMetrics } from "./metrics.js";
import { type Context, extractTraceContext, headersToRecord } from "./tracing.js";
import { errorChain } from "./transport-security.js";

/** What a decoder says of one record: the decoded value, or why it belongs in the dead-letter topic. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ConsumedRecord<T> {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: T;
  /** The record's value as Kafka delivered it: what a dead letter of this record carries. */
  raw: Buffer | null;
  headers: Record<string, string>;
  timestamp: string;
  /** The producer's trace context from the `traceparent` header (ROOT when absent). */
  traceContext: Context;
}

/** A record a handler could not process, and why (e.g. `detector "prada" failed: RangeError: …`). */
export interface RecordFailure<T> {
  record: ConsumedRecord<T>;
  reason: string;
}

export interface RecordBatch<T> {
  topic: string;
  partition: number;
  /** Only the records that decoded; offsets may have gaps where records were dead-lettered. */
  records: ConsumedRecord<T>[];
  /** Offset of the last record of this chunk, decoded or not: the position the effects cover. */
  lastOffset: string;
  /**
   * Publishes records this handler could not process to the dead-letter topic (original bytes and
   * reason, acks=all) and resolves once they are there. Call it BEFORE storing the batch's effects:
   * once the effects are stored the offsets may be committed (decision 5). The records count as
   * dead_lettered, not accepted. A failed publish throws: let it propagate, the chunk is retried.
   */
  deadLetter(failures: RecordFailure<T>[]): Promise<void>;
}

/** How the loop retries a chunk whose handler throws, before looking for the records that break it. */
export interface HandlerRetry {
  /** Attempts of the whole chunk (and of one suspect record) before giving up on it; default 3. */
  attempts: number;
  /** Wait before the second attempt, doubled for each further one; default 500 ms. */
  backoffMs: number;
}

export interface BatchConsumerOptions<T> {
  /** The Kafka client's consumer (kafkaConsumerPort of kafka.ts). */
  joinGroup: ConsumerPort;
  groupId: string;
  topics: string[];
  decode: (value: Buffer | null, headers: Record<string, string>) => Decoded<T>;
  /**
   * Stores the effects of a batch. It must be idempotent for records at or below an offset it has
   * already applied: the loop commits offsets only after it returns, so after a crash or a
   * rebalance the same records arrive again. It may be called with a part of a chunk (see
   * `handleChunk`): parts come in offset order, each with the offset of its own last record.
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
  handlerRetry?: Partial<HandlerRetry>;
  /**
   * The Kafka client's own handling of a batch that still fails (infrastructure errors): `retries` with
   * backoff from `initialRetryTime` ms (default 10 from 300 ms), then the consumer crashes and
   * restarts, at most `restarts` times in a row without a chunk committed in between (default 5);
   * after that it stays stopped and `onStoppedForGood` is called.
   */
  kafkaRetry?: { retries?: number; initialRetryTime?: number; restarts?: number };
  /**
   * Whether the service's dependencies (Redis, Kafka) answer right now. A chunk that keeps failing
   * while they do not is an outage, never a bad record: it is not searched nor dead-lettered.
   */
  dependenciesAnswer?: () => Promise<boolean>;
  /**
   * Called once when the consumer stopped for good without `stop()` (crashed without restart, or
   * stopped from elsewhere), with the reason. The service then fails liveness and exits.
   */
  onStoppedForGood?: (reason: string) => void;
  clock?: () => Date;
}

export interface RunningConsumer {
  consumer: ClientConsumer;
  /** False once the consumer stopped for good without stop(): the service must not report ready. */
  healthy(): boolean;
  /** Why the consumer stopped for good without stop() (undefined while it runs). */
  failure(): string | undefined;
  /** Finishes the batch in hand, commits it, and leaves the group. */
  stop(): Promise<void>;
}

// A client may stop the consumer before it reports a crash and whether it restarts (kafkajs does):
// a stop that no crash report follows within this time was not a crash, but a stop from outside.
const CRASH_REPORT_GRACE_MS = 5_000;

/**
 * The consume loop of every Argus service: at-least-once delivery with effects stored before the
 * offset is committed, bad records dead-lettered (never dropped, never blocking the partition).
 */
export async function startBatchConsumer<T>(options: BatchConsumerOptions<T>): Promise<RunningConsumer> {
  const { joinGroup, groupId, topics, decode, handle, deadLetters, logger, metrics } = options;
  const maxChunk = options.maxChunk ?? 1000;
  const clock = options.clock ?? (() => new Date());
  const handlerRetry: HandlerRetry = {
    attempts: Math.max(1, options.handlerRetry?.attempts ?? 3),
    backoffMs: options.handlerRetry?.backoffMs ?? 500,
  };
  const maxRestarts = options.kafkaRetry?.restarts ?? 5;
  let crashesInARow = 0;
  let stopRequested = false;
  let failure: string | undefined;
  let crashReportTimer: NodeJS.Timeout | undefined;
  const stoppedForGood = (reason: string) => {
    clearTimeout(crashReportTimer);
    if (stopRequested || failure !== undefined) return;
    failure = reason;
    logger.error({ groupId, reason }, "consumer stopped for good");
    options.onStoppedForGood?.(reason);
  };

  const consumer = await joinGroup({
    groupId,
    topics,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
    heartbeatIntervalMs: Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
    maxBytesPerPartition: 4 * 1024 * 1024,
    // A fetch returns as soon as records arrive; this only bounds how long an idle fetch (and so
    // a graceful shutdown) waits.
    maxWaitMs: 1_000,
    partitionsConcurrently: options.partitionsConcurrently ?? 1,
    retry: {
      retries: options.kafkaRetry?.retries ?? 10,
      initialRetryTimeMs: options.kafkaRetry?.initialRetryTime ?? 300,
      // An outage longer than a few restarts is better handled by restarting the process (which
      // Kubernetes does, with its own backoff, and on-call sees) than by looping here unseen.
      restartOnFailure: async () => ++crashesInARow <= maxRestarts,
    },
    onCrash: (error, restarting) => {
      clearTimeout(crashReportTimer);
      logger.error({ err: describeError(error), groupId, restart: restarting }, "consumer crashed");
      if (!restarting) stoppedForGood(`crashed without restart: ${describeError(error)}`);
    },
    onStop: () => {
      if (stopRequested) return;
      clearTimeout(crashReportTimer);
      crashReportTimer = setTimeout(
        () => stoppedForGood("the consumer stopped although stop() was not called"),
        CRASH_REPORT_GRACE_MS,
      );
      crashReportTimer.unref();
    },
    eachBatch: async (batch, { isRunning, isStale, heartbeat, commit }) => {
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
        const lastOffset = (chunk[chunk.length - 1] as FetchedMessage).offset;
        // Dead letters first: once the effects below are stored the offset may be committed,
        // and a rejected record must already be safe on its topic by then.
        await deadLetters.publish(rejected, clock());
        const deadLettered = new Map<string, string>();
        await handleChunk({
          records: accepted,
          lastOffset,
          handle,
          deadLetter: async (failures) => {
            await deadLetters.publish(
              failures.map(({ record, reason }) => rejectedRecord(record, reason)),
              clock(),
            );
            for (const { record, reason } of failures) deadLettered.set(record.offset, reason);
          },
          retry: handlerRetry,
          isInfrastructureError,
          dependenciesAnswer: options.dependenciesAnswer ?? (async () => true),
          stillOurs: () => isRunning() && !isStale(),
          heartbeat,
          logger: logger.child({ topic: batch.topic, partition: batch.partition, groupId }),
        });
        await commit(lastOffset);
        crashesInARow = 0;
        await heartbeat();
        const deadLetteredCount = rejected.length + deadLettered.size;
        metrics.recordsConsumed.inc(
          { topic: batch.topic, result: "accepted" },
          accepted.length - deadLettered.size,
        );
        metrics.recordsConsumed.inc({ topic: batch.topic, result: "dead_lettered" }, deadLetteredCount);
        metrics.batchSeconds.observe({ topic: batch.topic }, (performance.now() - startedAt) / 1000);
        metrics.consumerLag.set(
          { topic: batch.topic, partition: String(batch.partition) },
          Number(batch.offsetLag()),
        );
        if (deadLetteredCount > 0) {
          logger.warn(
            {
              topic: batch.topic,
              partition: batch.partition,
              count: deadLetteredCount,
              reason: rejected[0]?.reason ?? deadLettered.values().next().value,
            },
            "records dead-lettered",
          );
        }
      }
    },
  });

  return {
    consumer,
    healthy: () => failure === undefined,
    failure: () => failure,
    stop: async () => {
      stopRequested = true;
      clearTimeout(crashReportTimer);
      await consumer.disconnect();
    },
  };
}

export interface ChunkHandling<T> {
  records: ConsumedRecord<T>[];
  lastOffset: string;
  handle: (batch: RecordBatch<T>) => Promise<void>;
  deadLetter: (failures: RecordFailure<T>[]) => Promise<void>;
  retry: HandlerRetry;
  isInfrastructureError: (error: unknown) => boolean;
  dependenciesAnswer: () => Promise<boolean>;
  /** False once the consumer is stopping or lost the partition: nothing may be dead-lettered then. */
  stillOurs: () => boolean;
  heartbeat: () => Promise<void>;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Hands a chunk to the handler and makes sure that one record the handler cannot process does not
 * stop its partition, while an outage never costs a record:
 *
 * 1. The chunk is retried `retry.attempts` times with backoff: most failures are passing.
 * 2. If it still fails with an infrastructure error (connection, timeout, Redis or Kafka not
 *    answering, offset fence contention), or `dependenciesAnswer()` says no, or the consumer is
 *    stopping or lost the partition, the error is thrown: nothing is committed, the client retries and
 *    in the end crashes, which ends the process. Infrastructure errors are never dead-lettered.
 * 3. Otherwise the failure is deterministic and lies in the records: the chunk is bisected, halves
 *    in offset order (a half that succeeds stores its effects), down to single records whose own
 *    batch fails (after the same retries); those are dead-lettered with reason
 *    `handler failed: <error>` and the chunk goes on. A chunk of k bad records among n costs about
 *    2·k·log2(n) extra handler calls.
 *
 * Parts are handed over with the offset of their own last record (the last part with the chunk's
 * `lastOffset`), so an offset fence moves forward part by part and a replay skips what is stored.
 */
export async function handleChunk<T>(options: ChunkHandling<T>): Promise<void> {
  const { records, lastOffset, handle, retry, logger } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const batchOf = (part: ConsumedRecord<T>[], partLastOffset: string): RecordBatch<T> => ({
    topic: part[0]?.topic ?? records[0]?.topic ?? "",
    partition: part[0]?.partition ?? records[0]?.partition ?? 0,
    records: part,
    lastOffset: partLastOffset,
    deadLetter: options.deadLetter,
  });

  /** The handler's last error after `attempts` tries, or undefined once it succeeded. */
  const attempt = async (part: ConsumedRecord<T>[], partLastOffset: string, attempts: number) => {
    let lastError: unknown;
    for (let tried = 1; tried <= attempts; tried++) {
      try {
        await handle(batchOf(part, partLastOffset));
        return undefined;
      } catch (error) {
        lastError = error;
      }
      if (tried < attempts) {
        if (!options.stillOurs()) break;
        logger.warn(
          { err: describeError(lastError), records: part.length, attempt: tried },
          "handler failed, retrying the chunk",
        );
        await sleep(retry.backoffMs * 2 ** (tried - 1));
        await options.heartbeat();
      }
    }
    return { error: lastError };
  };

  /** Throws `error` unless it is a record's fault (see the rule above). */
  const throwUnlessRecordFault = async (error: unknown) => {
    if (!options.stillOurs() || options.isInfrastructureError(error)) throw error;
    if (!(await options.dependenciesAnswer().catch(() => false))) throw error;
  };

  const first = await attempt(records, lastOffset, retry.attempts);
  if (first === undefined) return;
  await throwUnlessRecordFault(first.error);
  if (records.length === 0) throw first.error;
  logger.error(
    { err: describeError(first.error), records: records.length },
    "handler keeps failing on this chunk while its dependencies answer: looking for the records that break it",
  );

  const settle = async (part: ConsumedRecord<T>[], partLastOffset: string, knownError?: unknown) => {
    let error = knownError;
    if (error === undefined) {
      const outcome = await attempt(part, partLastOffset, part.length === 1 ? retry.attempts : 1);
      if (outcome === undefined) return;
      error = outcome.error;
      if (part.length === 1) await throwUnlessRecordFault(error);
      else if (!options.stillOurs() || options.isInfrastructureError(error)) throw error;
    }
    if (part.length === 1) {
      const record = part[0] as ConsumedRecord<T>;
      const reason = `handler failed: ${describeError(error)}`;
      logger.error({ offset: record.offset, reason }, "record breaks the handler: dead-lettering it");
      await options.deadLetter([{ record, reason }]);
      return;
    }
    const middle = Math.ceil(part.length / 2);
    const left = part.slice(0, middle);
    await settle(left, (left[left.length - 1] as ConsumedRecord<T>).offset);
    await options.heartbeat();
    await settle(part.slice(middle), partLastOffset);
  };
  await settle(records, lastOffset, first.error);
}

const infrastructureErrorNames = new Set([
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSRequestTimeoutError",
  "KafkaJSNumberOfRetriesExceeded",
  "KafkaJSBrokerNotFound",
  "KafkaJSNoBrokerAvailableError",
  "KafkaJSLockTimeout",
  "KafkaJSNotImplemented",
  "MaxRetriesPerRequestError",
  "TimeoutError",
  "AbortError",
]);

const infrastructureErrorCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
]);

// ioredis' and Redis' own words for "not now": connection gone, server loading or failing over,
// a script running too long; and the offset fence moving under another replica.
const infrastructureMessages =
  /connection is closed|stream isn't writeable|socket (hang up|closed)|connect(ion)? (refused|reset|timed? ?out)|timed? ?out|timeout|^(LOADING|READONLY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|BUSY)\b|offset fence .* kept moving/i;

/**
 * Whether `error` (or an error it wraps) says a dependency did not answer: a connection refused or
 * closed, a timeout, a retriable Kafka error, Redis loading or failing over. Such a failure is
 * retried, never blamed on a record.
 */
export function isInfrastructureError(error: unknown): boolean {
  return errorChain(error).some((failure) => {
    const detail = failure as Error & { code?: unknown; retriable?: unknown };
    return (
      infrastructureErrorNames.has(failure.name) ||
      detail.retriable === true ||
      (typeof detail.code === "string" && infrastructureErrorCodes.has(detail.code)) ||
      infrastructureMessages.test(failure.message)
    );
  });
}

/** `RangeError: offset out of bounds`, for reasons and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function rejectedRecord<T>(record: ConsumedRecord<T>, reason: string): RejectedRecord {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    value: record.raw,
    headers: record.headers,
    reason,
  };
}

function sortRecord<T>(
  message: FetchedMessage,
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
      raw: message.value,
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
