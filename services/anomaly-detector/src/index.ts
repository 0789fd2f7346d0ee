export { anomalyServiceRoles } from "./adapters/anomaly-grpc.js";
export { startAnomalyDetector } from "./anomaly-detector.js";
export { type AnomalyConfig, anomalyConfigSchema, detectPoliciesOf } from "./config.js";
