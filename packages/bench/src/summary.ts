// min / median / max of repeated figures, and the table the bench prints.
import { median } from "simple-statistics";

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: number[]): Spread {
  if (values.length === 0) throw new Error("no values to summarize");
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function roundSpread(value: Spread, digits = 2): Spread {
  return {
    min: round(value.min, digits),
    median: round(value.median, digits),
    max: round(value.max, digits),
  };
}

/** A plain-text table: a header row and rows of cells, columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function formatSpread(value: Spread, digits = 2): string {
  const f = (n: number) => round(n, digits).toLocaleString("en-US");
  return `${f(value.min)} / ${f(value.median)} / ${f(value.max)}`;
}
