/** What `pnpm eval:attacks` was asked to do. */
export interface EvalOptions {
  /** Smaller population and fewer prompts: a smoke run of a few minutes. */
  quick: boolean;
  seed: number;
  /** Also replay the benign part alone and count its pages (the "0 pages" target). */
  benignRun: boolean;
  /** Replay through the anomaly-detector's batch planner in memory: detection only, no pages. */
  offline: boolean;
}

export const usage = `usage: pnpm eval:attacks [--quick] [--seed N] [--no-benign-run] [--offline]

  --quick           60 benign clients over 40 simulated minutes, 12 prompts per attack category
  --seed N          the integer every generator derives from (default 1); the same seed, the same stream
  --no-benign-run   skip the benign-only replay (its pages then count as not measured: exit 1)
  --offline         no Kafka, Redis or alerter: the anomaly-detector's batch planner replays the stream
                    in memory over 12 partitions with the service's default configuration (about a
                    minute); detection and false alarms are scored, pages are not measured

Uses KAFKA_BROKERS and REDIS_URL when both are set (with topics and keys of its own), else starts
Kafka and Redis. Exit 0 when every target holds, 1 otherwise; the last stdout line is JSON.`;

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function parseOptions(argv: readonly string[]): EvalOptions {
  const options: EvalOptions = { quick: false, seed: 1, benignRun: true, offline: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") continue;
    if (arg === "--quick") options.quick = true;
    else if (arg === "--no-benign-run") options.benignRun = false;
    else if (arg === "--offline") options.offline = true;
    else if (arg === "--seed" || arg.startsWith("--seed=")) {
      const value = arg === "--seed" ? argv[++i] : arg.slice("--seed=".length);
      if (value === undefined || !/^-?\d+$/.test(value)) {
        throw new UsageError(`--seed needs an integer, got ${value ?? "nothing"}`);
      }
      options.seed = Number(value);
    } else throw new UsageError(`unknown argument ${arg}`);
  }
  return options;
}
