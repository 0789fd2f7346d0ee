// The SDK's kafkajs adapter, and its only module that imports kafkajs.
import kafkajs, { type KafkaConfig } from "kafkajs";
import type { KafkaConnection, OwnedProducer, ProducerSettings } from "./producer-port.js";

const { Kafka, Partitioners, logLevel } = kafkajs;

const logLevels = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
} as const;

/** A kafkajs producer for `connection`, not yet connected. */
export function kafkajsProducer(connection: KafkaConnection, settings: ProducerSettings = {}): OwnedProducer {
  const { logLevel: level, ...rest } = connection;
  const config: KafkaConfig = { clientId: "argus-sdk", ...rest, logLevel: logLevels[level ?? "warn"] };
  return new Kafka(config).producer({
    allowAutoTopicCreation: false,
    // Murmur2 like the Java client; naming it also silences kafkajs' v2 partitioner warning.
    createPartitioner: Partitioners.DefaultPartitioner,
    ...settings,
  });
}
