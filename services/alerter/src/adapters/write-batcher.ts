import type { Redis } from "@argus/runtime";
import { type LeasedWrite, writeUnderLeases } from "@argus/runtime";

/**
 * Group commit for lease-guarded writes: a write that comes while another is on its way waits for
 * it and then goes with every other write that came meanwhile, in one script. Concurrent
 * deliveries finish at different times; none waits for a timer or for the slowest of its pass, and
 * under load they share scripts instead of sending one each.
 */
export class WriteBatcher {
  private waiting: { write: LeasedWrite; done: (error: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly redis: Redis,
    private readonly owner: string,
  ) {}

  /** Resolves once `write` is stored (or skipped: its lease passed to another replica). */
  write(write: LeasedWrite): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ write, done: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0);
      const { failed, error } = await writeUnderLeases(
        this.redis,
        this.owner,
        batch.map((entry) => entry.write),
      ).catch((failure: unknown) => ({ failed: undefined, error: failure ?? new Error("write failed") }));
      for (const entry of batch) entry.done(!failed || failed.has(entry.write) ? error : undefined);
    }
    this.writing = false;
  }
}
