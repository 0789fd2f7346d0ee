export type ArgusSdkErrorCode =
  /** createMonitor / createPseudonymizer got options it cannot work with. */
  | "INVALID_OPTIONS"
  /** record() got an event that does not fit the InferenceEvent contract; nothing was buffered. */
  | "INVALID_EVENT"
  /** record() waited `recordTimeoutMs` for buffer space; the event was not buffered. */
  | "RECORD_TIMEOUT"
  /** record() was called after close(), or close() ended while record() was waiting for space. */
  | "CLOSED"
  /** Sending a batch to Kafka failed after the producer's retries; the events are still buffered. */
  | "SEND_FAILED"
  /** close() could not deliver every buffered event; `undelivered` says how many were lost. */
  | "CLOSE_INCOMPLETE";

/** Every error the SDK raises itself; `code` is stable, `message` is for people. */
export class ArgusSdkError extends Error {
  override readonly name = "ArgusSdkError";
  readonly code: ArgusSdkErrorCode;
  /** For SEND_FAILED: events in the failed batch. For CLOSE_INCOMPLETE: events not delivered. */
  readonly events: number | undefined;

  constructor(code: ArgusSdkErrorCode, message: string, options?: { cause?: unknown; events?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.events = options?.events;
  }
}
