import { modelIdProblem, tenantProblem } from "@argus/proto";
import {
  context,
  type Meter,
  metrics,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { CheckedFeatures, encodeRecord } from "./encode-record.js";
import { ArgusSdkError } from "./errors.js";
import { kafkajsProducer } from "./kafkajs-producer.js";
import type {
  KafkaConnection,
  OutgoingMessage,
  OwnedProducer,
  ProducerLike,
  ProducerSettings,
} from "./producer-port.js";
import { createPseudonymizer, type Pseudonymizer, type PseudonymizerOptions } from "./pseudonymize.js";
import type { RecordInput } from "./record-input.js";

export const DEFAULT_TOPIC = "argus.inference.v1";
export const CONTENT_TYPE = "application/x-protobuf";
export const SCHEMA = "argus.v1.InferenceEvent";

interface CommonOptions {
  /** Kafka topic; `argus.inference.v1` by default. */
  topic?: string;
  modelId: string;
  modelVersion: string;
  tenant?: string;
  /** Keys for the client-id HMAC, or a pseudonymizer built with `createPseudonymizer`. */
  pseudonymization: PseudonymizerOptions | Pseudonymizer;
  /**
   * Names of string (category) or `{ text }` features that hold personal data: their values are
   * replaced by a pseudonym (as a category) with the same key as the client id.
   */
  piiFeatures?: readonly string[];
  /** A batch is sent as soon as this many events wait. Default 500. */
  batchSize?: number;
  /** ...or when the oldest waiting event has waited this long. Default 50 ms. */
  lingerMs?: number;
  /** Events buffered (waiting + in flight) at most. Default 10 000. */
  maxBufferedEvents?: number;
  /**
   * What record() does when `maxBufferedEvents` are buffered (Kafka slow or down). `"drop"` (the
   * default): it drops the event and resolves at once, so monitoring never slows inference; drops are
   * counted in `stats().dropped` and on the `argus.sdk.events.dropped` OpenTelemetry counter.
   * `"wait"`: the returned promise stays pending until a send frees space (lossless, for batch jobs
   * that would rather slow down), or rejects with RECORD_TIMEOUT after `recordTimeoutMs`.
   */
  whenFull?: "drop" | "wait";
  /**
   * Upper bound on the bytes of one send (keep it under the topic's `max.message.bytes`, 1 MiB by
   * default); an event larger than this is rejected by record(). Default 900 000.
   */
  maxBatchBytes?: number;
  /** With `whenFull: "wait"`: a record() that waited this long for buffer space rejects with RECORD_TIMEOUT. */
  recordTimeoutMs?: number;
  /** Pause after a failed send before the next try; doubles per failure up to 30 s. Default 1 000 ms. */
  retryBackoffMs?: number;
  /** Called for every failed send (the events stay buffered). Default: `process.emitWarning`. */
  onError?: (error: ArgusSdkError) => void;
  /** Tracer for the `argus.sdk.record` spans; `trace.getTracer("@argus/sdk")` by default. */
  tracer?: Tracer;
  /** Meter for the SDK's counters; `metrics.getMeter("@argus/sdk")` by default. */
  meter?: Meter;
}

export type MonitorOptions = CommonOptions &
  (
    | {
        /** The monitor creates, connects (on first send) and on close() disconnects its own producer. */
        kafka: KafkaConnection;
        /** Overrides of the producer settings (e.g. `{ idempotent: true }`). */
        producerConfig?: ProducerSettings;
        producer?: undefined;
      }
    | {
        /** An already connected producer owned by the caller; close() does not disconnect it. */
        producer: ProducerLike;
        kafka?: undefined;
        producerConfig?: undefined;
      }
  );

export interface MonitorStats {
  /** Events held by the monitor: waiting for a send plus in flight. Never above maxBufferedEvents. */
  buffered: number;
  /** Events in the send that is in progress. */
  inFlight: number;
  /** record() calls waiting for buffer space. */
  waiting: number;
  /** Events accepted into the buffer since creation. */
  recorded: number;
  /** Events acknowledged by Kafka (acks = all) since creation. */
  sent: number;
  /** Sends that failed after the producer's retries. */
  failedSends: number;
  /** record() calls that rejected with RECORD_TIMEOUT. */
  recordTimeouts: number;
  /** Events dropped because the buffer was full (`whenFull: "drop"`). */
  dropped: number;
  /** The message of the last failed send, until a send succeeds again. */
  lastError: string | undefined;
  closed: boolean;
}

export interface Monitor {
  /**
   * Validates and pseudonymizes the event, encodes it and buffers it for the next batch. Resolves
   * once the event is buffered (not yet delivered: see flush()). When `maxBufferedEvents` are
   * buffered, the returned promise stays pending until a send frees space (or rejects with
   * RECORD_TIMEOUT after `recordTimeoutMs`): this is the backpressure that keeps memory bounded.
   * Rejects with INVALID_EVENT (nothing buffered) when the event breaks the contract.
   */
  record(event: RecordInput): Promise<void>;
  /**
   * Sends every event whose record() had resolved before this call, and resolves when Kafka has
   * acknowledged them all. Rejects with SEND_FAILED if a send fails (the events stay buffered).
   */
  flush(): Promise<void>;
  /**
   * Stops accepting events, delivers everything buffered (and the record() calls still waiting),
   * then disconnects the producer the monitor created. Call it on shutdown (SIGTERM): the SDK
   * registers no signal handlers. Rejects with CLOSE_INCOMPLETE, saying how many events were not
   * delivered, if the last sends fail. Calling it again returns the same promise.
   */
  close(): Promise<void>;
  stats(): MonitorStats;
}

interface Queued {
  message: OutgoingMessage;
  bytes: number;
  /** Position in the order of acceptance (set when admitted); acknowledged in order, so `ackedSeq` is a watermark. */
  seq: number;
}

interface Waiter {
  item: Queued;
  resolve: () => void;
  reject: (error: ArgusSdkError) => void;
  timer: NodeJS.Timeout | undefined;
}

const MAX_RETRY_BACKOFF_MS = 30_000;

/** What record() returns once the event is buffered (or dropped): a settled promise can be shared. */
const RESOLVED: Promise<void> = Promise.resolve();

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) {
    throw new ArgusSdkError("INVALID_OPTIONS", `${name} must be a positive integer, got ${v}`);
  }
  return v;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) {
    throw new ArgusSdkError("INVALID_OPTIONS", `${name} must be a finite number >= 0, got ${v}`);
  }
  return v;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function failRecord(span: Span, error: unknown): Promise<never> {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: describe(error) });
  span.end();
  return Promise.reject(error);
}

export function createMonitor(options: MonitorOptions): Monitor {
  if (typeof options.modelId !== "string" || options.modelId.length === 0) {
    throw new ArgusSdkError("INVALID_OPTIONS", "modelId must be a non-empty string");
  }
  // The contract's bounds: an event breaking them would be dead-lettered by every detector.
  const idProblem =
    modelIdProblem(options.modelId, "modelId") ?? tenantProblem(options.tenant ?? "", "tenant");
  if (idProblem) throw new ArgusSdkError("INVALID_OPTIONS", idProblem);
  if (typeof options.modelVersion !== "string" || options.modelVersion.length === 0) {
    throw new ArgusSdkError("INVALID_OPTIONS", "modelVersion must be a non-empty string");
  }
  if ((options.kafka === undefined) === (options.producer === undefined)) {
    throw new ArgusSdkError("INVALID_OPTIONS", "give exactly one of `kafka` (connection) or `producer`");
  }
  const topic = options.topic ?? DEFAULT_TOPIC;
  const batchSize = positiveInteger(options.batchSize, 500, "batchSize");
  const lingerMs = nonNegative(options.lingerMs, 50, "lingerMs");
  const maxBuffered = positiveInteger(options.maxBufferedEvents, 10_000, "maxBufferedEvents");
  const maxBatchBytes = positiveInteger(options.maxBatchBytes, 900_000, "maxBatchBytes");
  const retryBackoffMs = positiveInteger(options.retryBackoffMs, 1_000, "retryBackoffMs");
  const recordTimeoutMs =
    options.recordTimeoutMs === undefined
      ? undefined
      : positiveInteger(options.recordTimeoutMs, 0, "recordTimeoutMs");
  const pseudonymizer =
    "pseudonymize" in options.pseudonymization
      ? options.pseudonymization
      : createPseudonymizer(options.pseudonymization);
  const eventContext = {
    modelId: options.modelId,
    modelVersion: options.modelVersion,
    tenant: options.tenant ?? "",
    pseudonymizer,
    piiFeatures: new Set(options.piiFeatures ?? []),
  };
  const checkedFeatures = new CheckedFeatures();
  const tracer = options.tracer ?? trace.getTracer("@argus/sdk");
  const whenFull = options.whenFull ?? "drop";
  if (whenFull !== "drop" && whenFull !== "wait") {
    throw new ArgusSdkError("INVALID_OPTIONS", `whenFull must be "drop" or "wait", got ${String(whenFull)}`);
  }
  const droppedCounter = (options.meter ?? metrics.getMeter("@argus/sdk")).createCounter(
    "argus.sdk.events.dropped",
    {
      description: "Events record() dropped because the SDK's buffer was full (Kafka slow or unreachable).",
    },
  );
  const modelAttributes = { "argus.model.id": options.modelId, "argus.model.version": options.modelVersion };
  const onError =
    options.onError ??
    ((error: ArgusSdkError) => process.emitWarning(error.message, { code: "ARGUS_SDK_SEND_FAILED" }));

  // The producer: injected (caller connects and disconnects it) or our own (lazily connected).
  let owned: OwnedProducer | undefined;
  let producer: ProducerLike;
  if (options.kafka !== undefined) {
    owned = kafkajsProducer(options.kafka, options.producerConfig);
    producer = owned;
  } else {
    producer = options.producer;
  }
  let connecting: Promise<void> | undefined;
  const ensureConnected = async (): Promise<void> => {
    if (owned === undefined) return;
    const ownedProducer = owned;
    connecting ??= ownedProducer.connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    await connecting;
  };

  // Buffer state. Invariant: pending + in flight <= maxBuffered; seq increase along pending.
  let pending: Queued[] = [];
  let pendingBytes = 0;
  let inFlight: Promise<ArgusSdkError | undefined> | undefined;
  let inFlightCount = 0;
  const waiters: Waiter[] = [];
  let lastSeq = 0;
  let ackedSeq = 0;
  let lingerTimer: NodeJS.Timeout | undefined;
  let lingerDue = false;
  let backoffTimer: NodeJS.Timeout | undefined;
  let backoffMs = retryBackoffMs;
  let closed = false;
  let closing: Promise<void> | undefined;
  const counters = { recorded: 0, sent: 0, failedSends: 0, recordTimeouts: 0, dropped: 0 };
  let lastError: string | undefined;

  const buffered = (): number => pending.length + inFlightCount;

  const admit = (item: Queued): void => {
    lastSeq += 1;
    item.seq = lastSeq;
    pending.push(item);
    pendingBytes += item.bytes;
    counters.recorded += 1;
  };

  const admitWaiters = (): void => {
    while (waiters.length > 0 && buffered() < maxBuffered) {
      const waiter = waiters.shift() as Waiter;
      clearTimeout(waiter.timer);
      admit(waiter.item);
      waiter.resolve();
    }
  };

  const clearLinger = (): void => {
    clearTimeout(lingerTimer);
    lingerTimer = undefined;
    lingerDue = false;
  };

  /** Starts a send when one is due and none is running; keeps the linger timer while events wait. */
  const pump = (): void => {
    if (pending.length === 0) {
      clearLinger();
      return;
    }
    if (lingerTimer === undefined && !lingerDue) {
      lingerTimer = setTimeout(() => {
        lingerTimer = undefined;
        lingerDue = true;
        pump();
      }, lingerMs);
    }
    if (inFlight !== undefined || backoffTimer !== undefined) return;
    if (lingerDue || pending.length >= batchSize || pendingBytes >= maxBatchBytes) void sendNext();
  };

  /** Sends the oldest events (one producer.send); never rejects: resolves to the error, if any. */
  const sendNext = (): Promise<ArgusSdkError | undefined> => {
    let count = 0;
    let bytes = 0;
    for (const queued of pending) {
      if (count === batchSize || (count > 0 && bytes + queued.bytes > maxBatchBytes)) break;
      bytes += queued.bytes;
      count += 1;
    }
    const batch = pending.splice(0, count);
    pendingBytes -= bytes;
    inFlightCount = batch.length;
    if (pending.length === 0) clearLinger();

    const attempt = (async (): Promise<ArgusSdkError | undefined> => {
      try {
        await ensureConnected();
        await producer.send({ topic, acks: -1, messages: batch.map((queued) => queued.message) });
        ackedSeq = batch.at(-1)?.seq ?? ackedSeq;
        counters.sent += batch.length;
        backoffMs = retryBackoffMs;
        lastError = undefined;
        return undefined;
      } catch (cause) {
        // Back to the front, in order: nothing is lost and per-client order is kept.
        pending = batch.concat(pending);
        pendingBytes += bytes;
        counters.failedSends += 1;
        const error = new ArgusSdkError(
          "SEND_FAILED",
          `sending ${batch.length} events to ${topic} failed (${describe(cause)}); ` +
            `${pending.length} events stay buffered and will be sent again`,
          { cause, events: batch.length },
        );
        lastError = error.message;
        clearTimeout(backoffTimer);
        backoffTimer = setTimeout(() => {
          backoffTimer = undefined;
          lingerDue = true;
          pump();
        }, backoffMs);
        backoffMs = Math.min(backoffMs * 2, MAX_RETRY_BACKOFF_MS);
        try {
          onError(error);
        } catch {
          // A failing error handler must not break the buffer.
        }
        return error;
      } finally {
        inFlight = undefined;
        inFlightCount = 0;
      }
    })();
    inFlight = attempt;
    void attempt.then(() => {
      admitWaiters();
      pump();
    });
    return attempt;
  };

  const flush = async (): Promise<void> => {
    const target = lastSeq;
    while (ackedSeq < target) {
      let error: ArgusSdkError | undefined;
      if (inFlight !== undefined) {
        error = await inFlight;
      } else if (pending.length > 0) {
        // An explicit flush does not wait for the linger time or for the retry backoff.
        clearTimeout(backoffTimer);
        backoffTimer = undefined;
        error = await sendNext();
      } else {
        break; // unreachable: unacknowledged events are in flight or pending
      }
      if (error !== undefined) throw error;
    }
  };

  // The same for every span: built once rather than per record().
  const spanOptions = {
    kind: SpanKind.PRODUCER,
    attributes: {
      "messaging.system": "kafka",
      "messaging.operation.type": "create",
      "messaging.destination.name": topic,
      "argus.model.id": eventContext.modelId,
      "argus.model.version": eventContext.modelVersion,
    },
  };

  const record = (input: RecordInput): Promise<void> => {
    const parent = context.active();
    const span = tracer.startSpan("argus.sdk.record", spanOptions, parent);

    let item: Queued;
    try {
      if (closed) throw new ArgusSdkError("CLOSED", "record() was called after close()");
      const event = encodeRecord(input, eventContext, checkedFeatures);
      span.setAttribute("messaging.message.id", event.eventId);
      // The application's registered propagator decides what goes in (W3C: traceparent, tracestate).
      const headers: Record<string, string> = {};
      propagation.inject(trace.setSpan(parent, span), headers);
      headers["content-type"] = CONTENT_TYPE;
      headers["argus-schema"] = SCHEMA;
      let bytes = event.value.length + event.clientId.length + 64;
      for (const name in headers) bytes += name.length + (headers[name] as string).length;
      if (bytes > maxBatchBytes) {
        throw new ArgusSdkError(
          "INVALID_EVENT",
          `the encoded event is ${bytes} bytes, more than maxBatchBytes (${maxBatchBytes})`,
        );
      }
      item = { message: { key: event.clientId, value: event.value, headers }, bytes, seq: 0 };
    } catch (error) {
      return failRecord(span, error);
    }

    if (waiters.length === 0 && buffered() < maxBuffered) {
      admit(item);
      pump();
      span.end();
      return RESOLVED;
    }

    if (whenFull === "drop") {
      // Never hold inference up: the event is lost, and counted.
      counters.dropped += 1;
      droppedCounter.add(1, modelAttributes);
      span.addEvent("argus.sdk.dropped", { "argus.sdk.buffered": buffered() });
      span.end();
      return RESOLVED;
    }

    // Backpressure: wait (first come, first served) until a send frees space.
    span.addEvent("argus.sdk.backpressure", { "argus.sdk.buffered": buffered() });
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { item, resolve, reject, timer: undefined };
      if (recordTimeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
          counters.recordTimeouts += 1;
          reject(
            new ArgusSdkError(
              "RECORD_TIMEOUT",
              `record() waited ${recordTimeoutMs} ms for buffer space: ${buffered()} events are buffered ` +
                `(maxBufferedEvents ${maxBuffered})` +
                (lastError === undefined ? "" : `; last send error: ${lastError}`),
            ),
          );
        }, recordTimeoutMs);
      }
      waiters.push(waiter);
    }).then(
      () => {
        span.end();
      },
      (error: unknown) => failRecord(span, error),
    );
  };

  const close = async (): Promise<void> => {
    closed = true;
    let failure: unknown;
    try {
      while (pending.length > 0 || inFlight !== undefined || waiters.length > 0) {
        admitWaiters();
        await flush();
      }
    } catch (error) {
      failure = error;
    }
    clearLinger();
    clearTimeout(backoffTimer);
    backoffTimer = undefined;
    const undelivered = pending.length + inFlightCount + waiters.length;
    const closedError = new ArgusSdkError("CLOSED", "close() ended before this event could be buffered");
    for (const waiter of waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(closedError);
    }
    pending = [];
    pendingBytes = 0;
    if (owned !== undefined) {
      try {
        await owned.disconnect();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) {
      throw new ArgusSdkError(
        "CLOSE_INCOMPLETE",
        `close() could not deliver ${undelivered} events to ${topic}: ${describe(
          failure instanceof ArgusSdkError && failure.cause !== undefined ? failure.cause : failure,
        )}`,
        { cause: failure, events: undelivered },
      );
    }
  };

  return {
    record,
    flush,
    close: () => {
      closing ??= close();
      return closing;
    },
    stats: () => ({
      buffered: buffered(),
      inFlight: inFlightCount,
      waiting: waiters.length,
      ...counters,
      lastError,
      closed,
    }),
  };
}
