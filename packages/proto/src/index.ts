// Generated code lives in ./gen (made by `pnpm gen` from proto/, never edited or committed).
import { fileURLToPath } from "node:url";

export * from "./gen/argus/v1/alert_service.js";
export * from "./gen/argus/v1/anomaly_service.js";
export * from "./gen/argus/v1/audit_service.js";
export * from "./gen/argus/v1/dead_letter.js";
export * from "./gen/argus/v1/drift_service.js";
export * from "./gen/argus/v1/feedback.js";
export * from "./gen/argus/v1/finding.js";
export * from "./gen/argus/v1/inference.js";
export { Timestamp } from "./gen/google/protobuf/timestamp.js";

/** Binary FileDescriptorSet of every Argus proto (with imports), for gRPC server reflection. */
export const descriptorSetPath = fileURLToPath(new URL("../descriptor.binpb", import.meta.url));
export {
  CLIENT_ID_MAX_CHARS,
  clientIdProblem,
  MODEL_ID_MAX_CHARS,
  modelIdProblem,
  optionalClientIdProblem,
  TENANT_MAX_CHARS,
  tenantProblem,
} from "./ids.js";
export {
  decodeInferenceEvent as decodeInferenceEventWire,
  encodeInferenceEvent,
} from "./wire/inference-event.js";
export {
  decodeInferenceEventColumns,
  type InferenceEventColumns,
  inferenceEventColumns,
} from "./wire/inference-event-columns.js";
