// Shared shapes of the text scanners (LLM Guard / Rebuff style). Every scanner is a pure function
// `(text, options) => ScanResult`: no I/O, no clock, no randomness.

/** One piece of evidence. `evidence` is short and REDACTED: never a whole secret or personal value. */
export interface ScanMatch {
  kind: string;
  evidence: string;
  /** UTF-16 offset in the scanned text, where known. */
  offset?: number;
}

export interface ScanResult {
  scanner: string;
  /** 0 (nothing found) .. 1 (certain). */
  score: number;
  matches: ScanMatch[];
}

/** Evidence lists are capped so a hostile text cannot make a result grow without bound. */
export const MAX_MATCHES_PER_SCANNER = 20;

export function clamp01(x: number): number {
  if (!Number.isFinite(x) || x <= 0) return 0;
  return Math.min(x, 1);
}

/** Probabilistic OR: independent signals reinforce each other without ever exceeding 1. */
export function noisyOr(scores: Iterable<number>): number {
  let keep = 1;
  for (const s of scores) keep *= 1 - clamp01(s);
  return clamp01(1 - keep);
}

/** Rounds a score for stable output (evidence and tests compare 4 decimals). */
export function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

export function result(scanner: string, score: number, matches: ScanMatch[]): ScanResult {
  return { scanner, score: round4(clamp01(score)), matches: matches.slice(0, MAX_MATCHES_PER_SCANNER) };
}

/** Collects matches and their scores; the scanner score is the noisy-OR of the best score per kind. */
export class Findings {
  private readonly best = new Map<string, number>();
  readonly matches: ScanMatch[] = [];

  add(kind: string, score: number, evidence: string, offset?: number): void {
    const s = clamp01(score);
    if (s <= 0) return;
    const prev = this.best.get(kind) ?? 0;
    if (s > prev) this.best.set(kind, s);
    if (this.matches.length < MAX_MATCHES_PER_SCANNER) {
      this.matches.push(offset === undefined ? { kind, evidence } : { kind, evidence, offset });
    }
  }

  get size(): number {
    return this.best.size;
  }

  score(): number {
    return noisyOr(this.best.values());
  }

  /** Highest single-kind score (for scanners whose kinds overlap rather than reinforce). */
  max(): number {
    let m = 0;
    for (const s of this.best.values()) m = Math.max(m, s);
    return m;
  }

  toResult(scanner: string, combine: "noisy-or" | "max" = "noisy-or"): ScanResult {
    return result(scanner, combine === "max" ? this.max() : this.score(), this.matches);
  }
}
