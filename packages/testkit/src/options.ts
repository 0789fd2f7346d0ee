export interface LocalServerOptions {
  /** Progress lines ("formatting storage…"); silent when omitted. */
  log?: (line: string) => void;
  /** Parent of the run's temp folder (default: the OS temp dir). */
  workDir?: string;
  /** How long to wait for the server to become ready. */
  timeoutMs?: number;
}

/** The server lost the race for a port we had just probed as free. */
export class PortClashError extends Error {}

/** A port taken between probing and binding is rare but real on a busy CI host: one retry. */
export async function retryOnPortClash<T>(start: () => Promise<T>, log: (line: string) => void): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (!(error instanceof PortClashError)) throw error;
    log(`port clash (${error.message}), retrying on a fresh port…`);
    return await start();
  }
}
