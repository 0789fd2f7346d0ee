import type { Logger } from "./logger.js";

type Step = { name: string; run: () => Promise<void>; together?: string };

/**
 * Stops what a service started in reverse order of start (stop consuming before closing the
 * producer and Redis the consumer still needs), each step bounded by the overall timeout. Adjacent
 * steps of the same `together` kind stop at once: each consumer may wait up to a fetch for its
 * in-flight batch, and one after another they would keep PID 1 past a container's stop budget.
 */
export class Shutdown {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  add(name: string, run: () => Promise<void>, options: { together?: string } = {}): void {
    this.steps.push({ name, run, ...(options.together !== undefined && { together: options.together }) });
  }

  run(timeoutMs: number): Promise<void> {
    this.running ??= this.runSteps(timeoutMs);
    return this.running;
  }

  private async runSteps(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const stage of stages([...this.steps].reverse())) {
      await Promise.all(stage.map((step) => this.runStep(step, deadline)));
    }
  }

  private async runStep(step: Step, deadline: number): Promise<void> {
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

/** The steps in order, adjacent steps of one `together` kind in one stage. */
function stages(steps: Step[]): Step[][] {
  const result: Step[][] = [];
  for (const step of steps) {
    const last = result.at(-1);
    if (last !== undefined && step.together !== undefined && last[0]?.together === step.together)
      last.push(step);
    else result.push([step]);
  }
  return result;
}
