// @argus/sdk: what an inference service imports to publish its predictions to Argus.
// Kept light on purpose (kafkajs, @opentelemetry/api, the generated contract): no service runtime.
export { ArgusSdkError, type ArgusSdkErrorCode } from "./errors.js";
export { toInferenceEvent } from "./event.js";
export {
  CONTENT_TYPE,
  createMonitor,
  DEFAULT_TOPIC,
  type Monitor,
  type MonitorOptions,
  type MonitorStats,
  SCHEMA,
} from "./monitor.js";
export type {
  KafkaConnection,
  OutgoingMessage,
  ProducerLike,
  ProducerSettings,
} from "./producer-port.js";
export {
  createPseudonymizer,
  isPseudonym,
  MIN_KEY_BYTES,
  PSEUDONYM_PREFIX,
  type Pseudonym,
  type PseudonymizationSecret,
  type Pseudonymizer,
  type PseudonymizerOptions,
} from "./pseudonymize.js";
export type { FeatureInput, OutputInput, RecordInput } from "./record-input.js";
