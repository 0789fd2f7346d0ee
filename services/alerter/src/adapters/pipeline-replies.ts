/**
 * Throws the first error among a pipeline's or transaction's replies: ioredis resolves `exec()`
 * with per-command errors instead of rejecting, and a write that failed must not read as done.
 */
export function throwFirstError(replies: [error: Error | null, result: unknown][] | null): void {
  const failed = (replies ?? []).find(([error]) => error);
  if (failed) throw failed[0];
}
