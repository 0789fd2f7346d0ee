import type { Logger } from "./logger.js";

export interface PollingOptions {
  /**
   * Wait one `pollMs` before the first pass instead of running it at start: for upkeep (sweeps,
   * pruning) that has nothing urgent to do when a replica starts, so restarts do not repeat it.
   */
  firstPassAfterPoll?: boolean;
}

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
    private readonly options: PollingOptions = {},
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
    if (this.options.firstPassAfterPoll) await this.nextPoll();
    while (this.running) {
      this.wokenDuringPass = false;
      try {
        await this.pass();
      } catch (error) {
        this.logger.error({ err: (error as Error).message }, `${this.name} pass failed`);
      }
      if (!this.running) break;
      if (this.wokenDuringPass) continue;
      await this.nextPoll();
    }
  }

  /** Resolves after `pollMs`, or at once when woken or stopped. */
  private nextPoll(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.pollMs);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
    });
  }
}

/** A background worker whose `pass` runs on a PollingLoop: start, wake and stop come with it. */
export abstract class PollingWorker {
  private readonly loop: PollingLoop;

  protected constructor(name: string, pollMs: number, logger: Logger, options: PollingOptions = {}) {
    this.loop = new PollingLoop(name, () => this.pass(), pollMs, logger, options);
  }

  protected abstract pass(): Promise<void>;

  /** False once stop() was called: a pass should finish early. */
  protected get running(): boolean {
    return this.loop.isRunning;
  }

  start(): void {
    this.loop.start();
  }

  /** Run a pass now instead of at the next poll. */
  wake(): void {
    this.loop.wake();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
