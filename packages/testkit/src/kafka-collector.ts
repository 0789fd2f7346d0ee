import { randomBytes } from "node:crypto";
import kafkajs, { type KafkaMessage, type Producer } from "kafkajs";

const { Kafka, logLevel, Partitioners } = kafkajs;

export interface TopicCollector {
  messages: KafkaMessage[];
  /** Resolves with the messages seen so far once `predicate` holds for them. */
  waitUntil(
    predicate: (messages: KafkaMessage[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<KafkaMessage[]>;
  stop(): Promise<void>;
}

/** Reads a topic from the beginning with a throwaway consumer group, to observe what services publish. */
export async function collectTopic(brokers: string[], topic: string): Promise<TopicCollector> {
  const kafka = new Kafka({ brokers, clientId: "argus-test-collector", logLevel: logLevel.NOTHING });
  // A short idle fetch: stop() waits for the fetch in flight, and tests and the demo stop often.
  const consumer = kafka.consumer({
    groupId: `collector-${randomBytes(6).toString("hex")}`,
    maxWaitTimeInMs: 250,
  });
  const messages: KafkaMessage[] = [];
  const listeners = new Set<() => void>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      messages.push(message);
      for (const listener of listeners) listener();
    },
  });
  return {
    messages,
    waitUntil: (predicate, timeoutMs, what) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(messages)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${what} on ${topic} (${messages.length} seen)`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    stop: () => consumer.disconnect(),
  };
}

/** A plain producer for tests that publish records (well-formed or not) the way any client would. */
export async function testProducer(brokers: string[]): Promise<Producer> {
  const kafka = new Kafka({ brokers, clientId: "argus-test-producer", logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return producer;
}
