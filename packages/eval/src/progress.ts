const startedAt = performance.now();

/** One progress line on stdout, stamped with seconds since the run started. */
export function say(line: string): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[${seconds}s] ${line}\n`);
}

export function elapsedSeconds(): number {
  return Math.round((performance.now() - startedAt) / 100) / 10;
}
