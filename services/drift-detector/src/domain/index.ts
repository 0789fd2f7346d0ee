export { BaselineBuilder, type BaselineProfile, profileHash } from "./baseline-profile.js";
export type { StoredBaseline } from "./baseline-record.js";
export { type DriftConfigs, defaultDriftConfig, driftConfigs } from "./drift-config.js";
export { evaluateWindow } from "./evaluate.js";
export { accumulateWindows, deltaFields, type WindowDelta } from "./window-counters.js";
export { parseWindowState } from "./window-state.js";
