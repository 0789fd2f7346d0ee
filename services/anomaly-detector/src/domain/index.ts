export { emptyClientState, observeClientQueries, observeClientRequest } from "./client-state.js";
export { clientDetectorsConfig } from "./clients/index.js";
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
export { emptyOutlierModel, OutlierTracker } from "./outliers.js";
export { emptyResources, observeResources } from "./resources.js";
export { scanInput, scanOutput } from "./text/index.js";
