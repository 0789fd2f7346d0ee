import { readFile } from "node:fs/promises";

/** The last `lines` lines of a log file, or a note that it cannot be read (it may not exist yet). */
export async function tailFile(path: string, lines = 80): Promise<string> {
  try {
    const text = await readFile(path, "utf8");
    return tailText(text, lines);
  } catch (error) {
    return `(cannot read ${path}: ${(error as Error).message})`;
  }
}

export function tailText(text: string, lines: number): string {
  const all = text.replace(/\n$/, "").split("\n");
  return all.slice(-lines).join("\n");
}
