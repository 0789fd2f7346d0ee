export {
  findingKind,
  matchedCategories,
  TEXT_CATEGORIES,
  type TextCategory,
  type TextFindingKind,
} from "./classify.js";
export { ENCODED_PAYLOAD, type EncodedPayloadOptions, scanEncodedPayload } from "./encoded-payload.js";
export {
  INVISIBLE_UNICODE,
  type InvisibleUnicodeOptions,
  scanInvisibleUnicode,
} from "./invisible-unicode.js";
export { approximateTokens, LENGTH, type LengthOptions, scanLength } from "./length.js";
export { MARKUP, type MarkupOptions, scanMarkup } from "./markup.js";
export { MIXED_SCRIPT, scanMixedScript } from "./mixed-script.js";
export { cardNetwork, ibanValid, luhnValid, PII, type PiiOptions, scanPii } from "./pii.js";
export {
  DEFAULT_INPUT_CONFIG,
  DEFAULT_OUTPUT_CONFIG,
  type PipelineConfig,
  type PipelineConfigOverrides,
  type PipelineResult,
  resolveConfig,
  runPipeline,
  SCANNER_NAMES,
  type ScannerName,
  type ScannerPolicy,
  type ScannerVerdict,
  scanInput,
  scannedPart,
  scanOutput,
  type Verdict,
} from "./pipeline.js";
export { PROMPT_INJECTION, type PromptInjectionOptions, scanPromptInjection } from "./prompt-injection.js";
export { maskDigits, maskEmail, redactSecret } from "./redact.js";
export { SECRETS, type SecretsOptions, scanSecrets, shannonEntropy } from "./secrets.js";
export { SQL_INJECTION, scanSqlInjection } from "./sql-injection.js";
export type { ScanMatch, ScanResult } from "./types.js";
