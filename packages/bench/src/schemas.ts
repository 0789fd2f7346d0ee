// Declared inputs of the bench's models, written where the anomaly-detector reads them.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The schema of `syntheticEvent`'s numeric features `n<f>` (normal, mean f, sd f + 1): ranges of ±10 sd. */
export function numericModelSchema(features: number) {
  return {
    features: Object.fromEntries(
      Array.from({ length: features }, (_, f) => [
        `n${f}`,
        { type: "number", min: f - 10 * (f + 1), max: f + 10 * (f + 1) },
      ]),
    ),
    allowUnknownFeatures: false,
  };
}

/** Writes `{ models }` (JSON is YAML) to a fresh temporary file for ANOMALY_INPUT_SCHEMAS_FILE. */
export function writeSchemasFile(models: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), "argus-bench-")), "models.json");
  writeFileSync(file, JSON.stringify({ models }));
  return file;
}
