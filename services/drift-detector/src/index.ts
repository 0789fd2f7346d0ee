export { driftServiceRoles } from "./adapters/drift-grpc.js";
export { type DriftConfig, driftConfigSchema } from "./config.js";
export { startDriftDetector } from "./drift-detector.js";
