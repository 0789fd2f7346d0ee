import { startStack } from "./stack.js";

/**
 * `pnpm stack up`: runs the stack in the foreground for manual work (demo, services under a
 * debugger) and stops it cleanly on Ctrl-C or SIGTERM.
 */
const usage = "usage: pnpm stack up";

async function up(): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = Date.now();
  const stack = await startStack({ log });
  log(`stack (${stack.mode}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s; Ctrl-C to stop`);
  process.stdout.write(
    `export KAFKA_BROKERS=${stack.kafkaBrokers.join(",")}\nexport REDIS_URL=${stack.redisUrl}\n`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping…`);
    const stopStarted = Date.now();
    stack.stop().then(
      () => {
        log(`stopped in ${((Date.now() - stopStarted) / 1000).toFixed(1)} s`);
        process.exit(0);
      },
      (error: unknown) => {
        log(`stop failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, stop);
  // The running servers keep Node's event loop, and so the CLI, alive until a signal arrives.
}

const command = process.argv[2];
if (command === "up") {
  up().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
} else {
  process.stderr.write(`${usage}\n`);
  process.exit(command === undefined || command === "help" || command === "--help" ? 0 : 2);
}
