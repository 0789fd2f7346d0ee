import type { Logger } from "@argus/runtime";

/**
 * Runs `pass` every `pollMs`, or at once when woken; a wake that arrives during a pass runs another
 * pass right after it, so work queued meanwhile never waits for the next poll.
 */
export class PollingLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private wokenDuringPass = false;

  constructor(
    private readonly name: string,
    private readonly pass: () => Promise<void>,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  wake(): void {
    this.wokenDuringPass = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.wokenDuringPass = false;
      try {
        await this.pass();
      } catch (error) {
        this.logger.error({ err: (error as Error).message }, `${this.name} pass failed`);
      }
      if (!this.running) break;
      if (this.wokenDuringPass) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          this.wakeUp = undefined;
          resolve();
        };
      });
    }
  }
}
