// The Kafka client as the runtime uses it, in the runtime's own words: a producer that sends keyed
// messages, and a consumer group member that hands over fetched batches and commits when told. The
// kafkajs adapter in kafka.ts implements it; another client would replace that one module.

/** Kafka's acks: -1 waits for every in-sync replica (what Argus sends ask), 1 for the leader, 0 for none. */
export type Acks = -1 | 0 | 1;

export interface OutgoingMessage {
  /** Chooses the partition (murmur2 of the key, as the Java client does), so one key keeps its order. */
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string>;
}

export interface ProducerPort {
  /** Resolves once Kafka acknowledged every message as `acks` asks; rejects after the client's retries. */
  send(batch: { topic: string; acks: Acks; messages: OutgoingMessage[] }): Promise<unknown>;
}

export interface ConnectedProducer extends ProducerPort {
  disconnect(): Promise<void>;
}

/** Header values as clients deliver them: bytes or text, several for a name that repeats. */
export type IncomingHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

export interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IncomingHeaders;
  timestamp: string;
}

/** The records of one partition from one fetch, in offset order. */
export interface FetchedBatch {
  topic: string;
  partition: number;
  messages: FetchedMessage[];
  /** How many records the partition holds beyond this batch. */
  offsetLag(): string;
}

/** What the consumer may do while it holds a batch. */
export interface BatchControl {
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True once a rebalance took the partition away: nothing more may be done for the batch. */
  isStale(): boolean;
  heartbeat(): Promise<void>;
  /**
   * Commits the partition's position just after `lastOffset`, and resolves once the commit is
   * done, also while the consumer is stopping (the batch a stop waits for must not come again).
   */
  commit(lastOffset: string): Promise<void>;
}

/**
 * A consumer group member. A group without a committed offset starts at the earliest record, and
 * offsets are committed only by `BatchControl.commit`: at-least-once, effects before the commit.
 */
export interface ConsumerSettings {
  groupId: string;
  topics: string[];
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxBytesPerPartition: number;
  /** How long a fetch waits for records before it returns empty. */
  maxWaitMs: number;
  /** Partitions whose batches are handled at once; one partition's batches always come in order. */
  partitionsConcurrently: number;
  /**
   * The client's own retries of a batch that throws (`retries`, backoff from `initialRetryTimeMs`);
   * after them the consumer crashes and restarts when `restartOnFailure` says so.
   */
  retry: { retries: number; initialRetryTimeMs: number; restartOnFailure: () => Promise<boolean> };
  eachBatch(batch: FetchedBatch, control: BatchControl): Promise<void>;
  /** The consumer crashed; `restarting` says whether it comes back on its own. */
  onCrash(error: unknown, restarting: boolean): void;
  /** The consumer stopped fetching, whoever stopped it (a crash may be reported after this). */
  onStop(): void;
}

export interface ClientConsumer {
  /** Stops fetching and leaves the group, keeping the connection. */
  stop(): Promise<void>;
  /** Finishes the batch in hand, leaves the group and closes the connection. */
  disconnect(): Promise<void>;
}

/** Joins a consumer group: connects, subscribes and runs `settings.eachBatch` until stopped. */
export type ConsumerPort = (settings: ConsumerSettings) => Promise<ClientConsumer>;

/** A connection that answers whether Kafka answers (readiness, outage checks). */
export interface KafkaProbe {
  answers(): Promise<boolean>;
  disconnect(): Promise<void>;
}
