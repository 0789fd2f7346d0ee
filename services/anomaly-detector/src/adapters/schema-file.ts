import { readFileSync } from "node:fs";
import { ConfigError } from "@argus/runtime";
import { type ModelSchemas, parseInputSchemas } from "../domain/index.js";

/** Reads and validates the schema file at start-up; any problem stops the service naming the field. */
export function loadInputSchemas(path: string): ModelSchemas {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`ANOMALY_INPUT_SCHEMAS_FILE: cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return parseInputSchemas(text, path);
  } catch (error) {
    throw new ConfigError(`ANOMALY_INPUT_SCHEMAS_FILE: ${(error as Error).message}`);
  }
}
