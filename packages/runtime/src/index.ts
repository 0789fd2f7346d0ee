// The service kit's public API: what a service, a test or a tool may use, by concern. Everything
// else in this package is internal to the kit (modules import each other by path), so a rename
// inside the kit breaks no service. Pure helpers for domain/ code are subpath exports instead
// (`@argus/runtime/duration`), because domain/ may not import the kit.

export { modelIdProblem } from "@argus/proto";
export { AuditLog, auditServiceRoles } from "./audit/index.js";
export { grpcError, invalidArgument, type Role, respondUnary } from "./auth.js";
// Starting a service: config, wiring, lifecycle.
export { baseConfigShape, ConfigError, loadConfig } from "./config.js";
// Consuming and producing: the consumer loop's records, checked decoders, findings out.
export {
  type ConsumedRecord,
  type Decoded,
  isInfrastructureError,
  type RecordBatch,
} from "./consumer-loop.js";
export {
  decodeFeedbackEvent,
  decodeInferenceEvent,
  decodeInferenceEventAsColumns,
  type OutgoingFinding,
  type PublishFindings,
  untraced,
} from "./contracts.js";
export type { MethodAccess } from "./grpc-auth.js";
export {
  type CallerScope,
  callerScope,
  ownedByCaller,
  requireClientId,
  requireModelId,
  requireOptionalClientId,
  requireOptionalModelId,
  visibleToCaller,
} from "./grpc-scope.js";
// gRPC: registrations, roles, the caller's scope, request checks and statuses.
export type { GrpcServiceRegistration } from "./grpc-server.js";
export { type ConditionalWrites, type GuardedCommand, runGuarded } from "./guarded-write.js";
export { connectProducer, createKafka, ensureTopics } from "./kafka.js";
export {
  LeaseBusyError,
  type LeasedPlan,
  type LeasedWrite,
  LeaseLostError,
  leaseOwner,
  releaseLease,
  releaseLeases,
  takeLease,
  writeUnderLease,
  writeUnderLeases,
} from "./leases.js";
export { createLogger, type Logger } from "./logger.js";
export {
  applyFenced,
  applyFencedWith,
  type FencedCommand,
  OffsetFence,
  offsetFenceKey,
  partitionHashTag,
} from "./offset-fence.js";
export { PollingLoop, PollingWorker } from "./polling-worker.js";
// State in Redis: the client, exactly-once writes, leases, background workers.
export { createRedis, keyspace, type Redis } from "./redis.js";

// Privacy and accountability: sealed evidence, the audit log.
export {
  createEvidenceSealer,
  type EvidenceSealer,
  evidenceConfigShape,
  evidenceSealerFromConfig,
  openFields,
  plaintextEvidence,
  SealedValueError,
  sealFields,
} from "./sealed.js";
export { type RunningService, runMain, startService } from "./service.js";

// Tracing.
export {
  extractTraceContext,
  injectTraceContext,
  inSpan,
  ROOT_CONTEXT,
  SpanKind,
  type Tracer,
  trace,
} from "./tracing.js";
