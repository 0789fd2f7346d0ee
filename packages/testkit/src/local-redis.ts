import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./free-port.js";
import { tailFile } from "./log-tail.js";
import { type LocalServerOptions, PortClashError, retryOnPortClash } from "./options.js";
import { assertCommands } from "./preflight.js";
import { pingRedis } from "./redis-ping.js";
import { createRunDir } from "./run-dir.js";
import { supervise } from "./supervise.js";

export interface LocalRedis {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";

/** Redis arguments for a throw-away server: nothing is persisted, nothing leaves loopback. */
export function redisArgs(port: number, dir: string): string[] {
  return [
    "--port",
    String(port),
    "--bind",
    HOST,
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--daemonize",
    "no",
  ];
}

export async function startLocalRedis(opts: LocalServerOptions = {}): Promise<LocalRedis> {
  const log = opts.log ?? (() => {});
  assertCommands(["redis-server"]);
  return retryOnPortClash(() => startRedis(opts, log), log);
}

async function startRedis(opts: LocalServerOptions, log: (line: string) => void): Promise<LocalRedis> {
  const started = Date.now();
  const runDir = await createRunDir("argus-redis-", opts.workDir);
  const dir = runDir.path;
  const port = await freePort(HOST);
  const logFile = join(dir, "redis.log");
  const server = supervise({ command: "redis-server", args: redisArgs(port, dir), cwd: dir, logFile });

  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  while (!(await pingRedis(port, HOST))) {
    const exited = server.hasExited();
    if (exited || Date.now() > deadline) {
      await server.stop(2_000);
      const tail = await tailFile(logFile);
      if (/Address already in use/.test(tail)) {
        await runDir.remove();
        throw new PortClashError(`redis port ${port}`);
      }
      await runDir.keep();
      const reason = exited ? "redis-server exited during startup" : "redis-server did not answer PING";
      throw new Error(`${reason}; folder kept at ${dir}\n--- last lines of ${logFile} ---\n${tail}`);
    }
    await sleep(50);
  }
  log(`redis ready on ${HOST}:${port} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  let stopping: Promise<void> | undefined;
  return {
    url: `redis://${HOST}:${port}`,
    dir,
    stop() {
      stopping ??= (async () => {
        // An exit before stop() is a crash: keep its log for the post-mortem.
        const crashed = server.hasExited();
        await server.stop(5_000);
        if (crashed) {
          await runDir.keep();
          log(`redis-server had exited on its own; log kept in ${dir}`);
        } else await runDir.remove();
      })();
      return stopping;
    },
  };
}
