export { emptyClientState, observeClientQueries, observeClientRequest } from "./client-state.js";
export { clientDetectorsConfig } from "./clients/index.js";
export {
  applyPlan,
  type BatchPlan,
  type BatchState,
  type DetectPolicies,
  detectBatch,
  type ModelPartition,
  type ModelView,
} from "./detect-batch.js";
export {
  detectInputViolations,
  INPUT_VALIDATION_DETECTOR,
  inputViolationFingerprint,
  violationsToFindings,
} from "./input-findings.js";
export {
  type FeatureSpec,
  type FeatureType,
  InputSchemaError,
  type ModelSchema,
  type ModelSchemas,
  parseInputSchemas,
  type SchemaIssue,
  schemaFor,
} from "./input-schema.js";
export {
  MAX_OBSERVED_CATEGORY_CHARS,
  MAX_UNKNOWN_FEATURE_NAME_CHARS,
  MAX_UNKNOWN_FEATURES_REPORTED,
  type Violation,
  type ViolationRule,
  validateInput,
} from "./input-validation.js";
export type { ModelProfile, ProfilePolicy, ScoreCalibration } from "./model-profile.js";
export { type Caught, PartitionedDetector } from "./partitioned-replay.js";
export { DEFAULT_POPULATION_POLICY, type PopulationPolicy } from "./population/index.js";
export { DEFAULT_RELATIVE_RATE_POLICY, type RelativeRatePolicy } from "./rate.js";
export { LiveResources, type ResourcePolicy, resourceLimits } from "./resources.js";
export { scanInput, scanOutput } from "./text/index.js";
