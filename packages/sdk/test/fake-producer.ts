import type { ProducerLike } from "../src/index.js";

type SentBatch = Parameters<ProducerLike["send"]>[0];

type Behaviour = "ack" | "fail" | "hang";

interface Call {
  record: SentBatch;
  /** For a hanging call: settle it from the test. */
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Stands in for a producer at the SDK's boundary (the `send` method only) and records
 * every call. Each call acks, fails or hangs according to `next` (or `behaviour` by default).
 */
export class FakeProducer implements ProducerLike {
  readonly calls: Call[] = [];
  behaviour: Behaviour = "ack";
  /** Behaviours for the next calls, in order; `behaviour` applies once they are used up. */
  next: Behaviour[] = [];
  disconnects = 0;

  send(record: SentBatch): Promise<void> {
    const behaviour = this.next.shift() ?? this.behaviour;
    return new Promise<void>((resolve, reject) => {
      const ack = () => resolve();
      this.calls.push({ record, resolve: ack, reject });
      if (behaviour === "ack") ack();
      if (behaviour === "fail") reject(new Error("KafkaJSNumberOfRetriesExceeded: broker unreachable"));
    });
  }

  /** Not used by the monitor; present to check that close() leaves an injected producer alone. */
  async disconnect(): Promise<void> {
    this.disconnects += 1;
  }

  /** All messages sent so far, in order. */
  get messages() {
    return this.calls.flatMap((call) => call.record.messages);
  }
}
