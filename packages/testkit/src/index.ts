export { freePort, freePorts } from "./free-port.js";
export { bearer, grpcStatus, localClient, noCredentials, rejection, unary } from "./grpc-calls.js";
export { collectTopic, type TopicCollector, testProducer } from "./kafka-collector.js";
export {
  type LocalKafka,
  type LocalKafkaOptions,
  type SecureListenerOptions,
  startLocalKafka,
} from "./local-kafka.js";
export { type LocalRedis, type LocalRedisOptions, startLocalRedis } from "./local-redis.js";
export type { LocalServerOptions } from "./options.js";
export {
  apiKeysJson,
  isolatedServiceEnv,
  makePrincipals,
  type TestPrincipal,
  testEvidenceKeys,
  uniqueNamespace,
} from "./service-env.js";
export { killService, type ServiceProcess, spawnService, stopService, waitReady } from "./service-process.js";
export { planStack, type Stack, type StackOptions, startStack } from "./stack.js";
export {
  alertLabelsOf,
  clientsNamed,
  type ReceivedWebhook,
  type ScriptedAnswer,
  startWebhookReceiver,
  type WebhookReceiver,
} from "./webhook-receiver.js";
