import { BaselineSource, type ReferenceRow } from "@argus/proto";
import { type Parser, parse } from "csv-parse";
import type { CellValue, ReferenceRowInput } from "../domain/baseline-profile.js";

export interface ReferenceColumns {
  predictionColumn: string;
  scorePrefix: string;
  categorical: ReadonlySet<string>;
  ignored: ReadonlySet<string>;
}

/**
 * Turns uploaded reference data into rows as it streams in: CSV through csv-parse (quoted fields,
 * embedded newlines and a header row), JSON Lines line by line. Nothing holds more than the
 * current chunk and the rows parsed from it.
 */
export interface ReferenceParser {
  push(chunk: Buffer): Promise<ReferenceRowInput[]>;
  end(): Promise<ReferenceRowInput[]>;
}

export function createReferenceParser(source: BaselineSource, columns: ReferenceColumns): ReferenceParser {
  if (source === BaselineSource.BASELINE_SOURCE_CSV) return csvParser(columns);
  if (source === BaselineSource.BASELINE_SOURCE_JSON_LINES) return jsonLinesParser(columns);
  throw new Error("chunks are only accepted for CSV and JSON Lines baselines");
}

function csvParser(columns: ReferenceColumns): ReferenceParser {
  const rows: ReferenceRowInput[] = [];
  let failure: Error | undefined;
  let row = 1;
  // on_record runs synchronously while a chunk is parsed; returning null keeps records out of the
  // stream's buffer, so memory holds only the rows of the current chunk.
  const parser: Parser = parse({
    columns: true,
    skip_empty_lines: true,
    trim: true,
    bom: true,
    on_record: (record: Record<string, unknown>) => {
      row++;
      try {
        rows.push(toRow(record, columns, true));
      } catch (error) {
        failure ??= new Error(`row ${row}: ${(error as Error).message}`);
      }
      return null;
    },
  });
  parser.on("error", (error) => {
    failure ??= error;
  });
  // csv-parse reports malformed input through an 'error' event after the write returns.
  const drain = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    if (failure) throw new Error(`CSV: ${failure.message}`);
    return rows.splice(0);
  };
  return {
    push(chunk) {
      parser.write(chunk);
      return drain();
    },
    end() {
      parser.end();
      return drain();
    },
  };
}

function jsonLinesParser(columns: ReferenceColumns): ReferenceParser {
  let pending = "";
  let line = 0;
  const parseLines = (text: string) =>
    text
      .split("\n")
      .map((raw) => {
        line++;
        return raw.trim();
      })
      .filter((raw) => raw.length > 0)
      .map((raw) => {
        let value: unknown;
        try {
          value = JSON.parse(raw);
        } catch (error) {
          throw new Error(`JSON Lines: line ${line}: ${(error as Error).message}`);
        }
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
          throw new Error(`JSON Lines: line ${line}: expected an object`);
        }
        return toRow(value as Record<string, unknown>, columns, false);
      });
  return {
    async push(chunk) {
      pending += chunk.toString("utf8");
      const cut = pending.lastIndexOf("\n");
      if (cut < 0) return [];
      const complete = pending.slice(0, cut);
      pending = pending.slice(cut + 1);
      return parseLines(complete);
    },
    async end() {
      const rest = pending;
      pending = "";
      return parseLines(rest);
    },
  };
}

function toRow(
  record: Record<string, unknown>,
  columns: ReferenceColumns,
  fromText: boolean,
): ReferenceRowInput {
  const features: Record<string, CellValue> = {};
  const scores: Record<string, number> = {};
  let prediction: CellValue;
  for (const [name, raw] of Object.entries(record)) {
    if (columns.ignored.has(name)) continue;
    const value = cell(raw, fromText && !columns.categorical.has(name));
    if (name === columns.predictionColumn) prediction = value;
    else if (columns.scorePrefix && name.startsWith(columns.scorePrefix)) {
      if (typeof value === "number") scores[name.slice(columns.scorePrefix.length)] = value;
    } else {
      features[name] = columns.categorical.has(name) && typeof value === "number" ? String(value) : value;
    }
  }
  return {
    features,
    ...(prediction !== undefined ? { prediction } : {}),
    ...(Object.keys(scores).length > 0 ? { scores } : {}),
  };
}

/** CSV cells are text: numbers are recognised unless the column is declared categorical. */
function cell(raw: unknown, parseNumbers: boolean): CellValue {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw === "number") return raw;
  if (typeof raw === "boolean") return String(raw);
  const text = String(raw);
  if (text === "" || /^(na|nan|null|none)$/i.test(text)) return undefined;
  if (parseNumbers && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  return text;
}

/** A protobuf reference row, in the builder's terms. */
export function rowFromProto(row: ReferenceRow): ReferenceRowInput {
  const features: Record<string, CellValue> = {};
  for (const [name, value] of Object.entries(row.features)) {
    const kind = value.kind;
    if (kind?.$case === "number") features[name] = kind.value;
    else if (kind?.$case === "category") features[name] = kind.value;
    else if (kind?.$case === "text") features[`${name}.length`] = [...kind.value].length;
  }
  const output = row.output?.kind;
  if (output?.$case === "classification") {
    return { features, prediction: output.value.label, scores: output.value.scores };
  }
  if (output?.$case === "regression") return { features, prediction: output.value };
  return { features };
}
