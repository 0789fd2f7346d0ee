export { type DriftConfig, driftConfigSchema } from "./config.js";
export { startDriftDetector } from "./drift-detector.js";
