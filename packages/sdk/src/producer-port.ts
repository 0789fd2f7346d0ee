// The producer as the monitor uses it, in the SDK's own words: the kafkajs adapter
// (kafkajs-producer.ts) implements it, and a caller may inject any producer that does.
import type { ConnectionOptions } from "node:tls";

export interface OutgoingMessage {
  /** Chooses the partition (murmur2 of the key, as the Java client does), so one client keeps its order. */
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string>;
}

/**
 * What the monitor sends through: one call per batch, resolving once Kafka acknowledged every
 * message as `acks` asks (-1: every in-sync replica, which the monitor always asks), rejecting
 * after the producer's own retries. An injected producer must already be connected; a kafkajs
 * `Producer` is one as it is.
 */
export interface ProducerLike {
  send(batch: { topic: string; acks: -1 | 0 | 1; messages: OutgoingMessage[] }): Promise<unknown>;
}

/** A producer the monitor owns: connected on the first send, disconnected by close(). */
export interface OwnedProducer extends ProducerLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/** Where and how the monitor's own producer connects. */
export interface KafkaConnection {
  brokers: string[];
  /** `argus-sdk` by default. */
  clientId?: string;
  /** TLS towards the brokers: `true` with the system CAs, or Node's TLS options (CA, client certificate). */
  ssl?: boolean | ConnectionOptions;
  sasl?: { username: string; password: string } & (
    | { mechanism: "plain" }
    | { mechanism: "scram-sha-256" }
    | { mechanism: "scram-sha-512" }
  );
  /** What the Kafka client logs (to the console); `"warn"` by default. */
  logLevel?: "nothing" | "error" | "warn" | "info" | "debug";
}

/** Overrides of the monitor's own producer settings. */
export interface ProducerSettings {
  /** A retried send is written once (Kafka's idempotent producer); off by default. */
  idempotent?: boolean;
  maxInFlightRequests?: number;
}
