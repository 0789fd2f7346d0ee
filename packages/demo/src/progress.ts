const startedAt = performance.now();

/** One progress line, stamped with seconds since the demo started. */
export function say(line: string): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(5);
  process.stdout.write(`[${seconds}s] ${line}\n`);
}

export function elapsedMs(): number {
  return performance.now() - startedAt;
}
