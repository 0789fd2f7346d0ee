/**
 * AlertActions became one use case per file (src/use-cases/); this name stays only because
 * erasure.int.test.ts imports the redaction text from here.
 */
export { redactedSummary } from "../domain/erasure.js";
