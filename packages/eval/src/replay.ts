import { createHash } from "node:crypto";
import { InferenceEvent } from "@argus/proto";
import { CONTENT_TYPE, createPseudonymizer, type Pseudonymizer, SCHEMA, toInferenceEvent } from "@argus/sdk";
import kafkajs, { type Message } from "kafkajs";
import type { StreamEvent } from "./stream.js";
import type { Endpoints } from "./traffic.js";

const { Kafka, Partitioners, logLevel } = kafkajs;

/**
 * The one pseudonymization key of a run, derived from its seed: every model's events name a client
 * by the same pseudonym, and the same seed gives the same pseudonyms.
 */
export function runPseudonymizer(seed: number): Pseudonymizer {
  const key = createHash("sha256").update(`argus-eval-pseudonymization:${seed}`).digest();
  return createPseudonymizer({ keys: { eval: key }, activeKeyId: "eval" });
}

/**
 * Builds each stream event as the model's SDK would (pseudonymized client, tenant "eval"), stamped
 * with its simulated event time.
 */
export function eventBuilder(
  endpoints: Endpoints,
  pseudonymizer: Pseudonymizer,
  periodStartMs: number,
): (event: StreamEvent) => InferenceEvent {
  const contexts = new Map(
    [endpoints.credit, endpoints.merchant, endpoints.llm].map((model) => [
      model.modelId,
      {
        modelId: model.modelId,
        modelVersion: model.modelVersion,
        tenant: "eval",
        pseudonymizer,
        piiFeatures: new Set<string>(),
        now: () => new Date(),
      },
    ]),
  );
  return (event) => {
    const context = contexts.get(event.modelId);
    if (context === undefined) throw new Error(`no endpoint for model ${event.modelId}`);
    return toInferenceEvent(
      {
        clientId: event.clientId,
        eventId: event.eventId,
        eventTime: new Date(periodStartMs + event.atMs),
        features: event.features,
        output: event.output,
        latencyMs: event.latencyMs,
        ...(event.inputTokens === undefined ? {} : { inputTokens: event.inputTokens }),
        ...(event.outputTokens === undefined ? {} : { outputTokens: event.outputTokens }),
      },
      context,
    );
  };
}

/**
 * Publishes the stream as the three inference services' SDKs would (events built and pseudonymized
 * by @argus/sdk, keyed by pseudonymized client, murmur2-partitioned), stamped with simulated event
 * times. One producer sends in event-time order, so a client's events across models stay in order.
 */
export async function replay(input: {
  kafkaBrokers: string[];
  topic: string;
  endpoints: Endpoints;
  events: StreamEvent[];
  pseudonymizer: Pseudonymizer;
  periodStartMs: number;
  progress: (sent: number) => void;
}): Promise<void> {
  const kafka = new Kafka({
    brokers: input.kafkaBrokers,
    clientId: "argus-eval-replay",
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const toEvent = eventBuilder(input.endpoints, input.pseudonymizer, input.periodStartMs);
  try {
    let batch: Message[] = [];
    let sent = 0;
    const send = async () => {
      await producer.send({ topic: input.topic, acks: -1, messages: batch });
      sent += batch.length;
      batch = [];
      if (sent % 5_000 < batchSize || sent === input.events.length) input.progress(sent);
    };
    for (const event of input.events) {
      const inference = toEvent(event);
      const encoded = InferenceEvent.encode(inference).finish();
      batch.push({
        key: inference.clientId,
        value: Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength),
        headers: { "content-type": CONTENT_TYPE, "argus-schema": SCHEMA },
      });
      if (batch.length === batchSize) await send();
    }
    if (batch.length > 0) await send();
  } finally {
    await producer.disconnect();
  }
}

const batchSize = 500;
