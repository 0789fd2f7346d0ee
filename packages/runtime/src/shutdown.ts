import type { Logger } from "./logger.js";

type Step = { name: string; run: () => Promise<void> };

/**
 * Stops what a service started in reverse order of start (stop consuming before closing the
 * producer and Redis the consumer still needs), each step bounded by the overall timeout.
 */
export class Shutdown {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  run(timeoutMs: number): Promise<void> {
    this.running ??= this.runSteps(timeoutMs);
    return this.running;
  }

  private async runSteps(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const step of [...this.steps].reverse()) {
      const remaining = Math.max(deadline - Date.now(), 1);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), remaining);
      });
      try {
        const outcome = await Promise.race([step.run().then(() => "done" as const), timeout]);
        if (outcome === "timeout") this.logger.error({ step: step.name }, "shutdown step timed out");
      } catch (error) {
        this.logger.error({ step: step.name, err: (error as Error).message }, "shutdown step failed");
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
