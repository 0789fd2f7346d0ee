import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePorts } from "./free-port.js";
import { tailFile } from "./log-tail.js";
import { type LocalServerOptions, PortClashError, retryOnPortClash } from "./options.js";
import { assertCommands } from "./preflight.js";
import { pingRedis } from "./redis-ping.js";
import { createRunDir } from "./run-dir.js";
import { supervise } from "./supervise.js";

export interface LocalRedisOptions extends LocalServerOptions {
  /** Serve TLS only (the plaintext port is off) with these PEM files; `url` is then rediss://. */
  tls?: {
    certFile: string;
    keyFile: string;
    /** CA bundle client certificates must chain to. */
    caFile: string;
    /** Whether clients must present a certificate (redis' `tls-auth-clients`; default yes, as Redis). */
    authClients?: "yes" | "no" | "optional";
  };
  /** ACL file of the server's users (e.g. `user default off`). */
  aclFile?: string;
  /**
   * Cluster mode, as a one-node Redis Cluster: a command or script over keys of different hash
   * slots fails with CROSSSLOT. The node starts without slots: assign them all with
   * `CLUSTER ADDSLOTSRANGE 0 16383` before use.
   */
  cluster?: boolean;
}

export interface LocalRedis {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";

/** Redis arguments for a throw-away server: nothing is persisted, nothing leaves loopback. */
export function redisArgs(
  port: number,
  dir: string,
  secure: Pick<LocalRedisOptions, "tls" | "aclFile"> = {},
  /** The cluster bus port, for a server in cluster mode (by default Redis takes port + 10000, which may not exist). */
  clusterPort?: number,
): string[] {
  const { tls, aclFile } = secure;
  const listen = tls
    ? [
        "--port",
        "0",
        "--tls-port",
        String(port),
        "--tls-cert-file",
        tls.certFile,
        "--tls-key-file",
        tls.keyFile,
      ].concat(["--tls-ca-cert-file", tls.caFile, "--tls-auth-clients", tls.authClients ?? "yes"])
    : ["--port", String(port)];
  return [
    ...listen,
    ...(aclFile !== undefined ? ["--aclfile", aclFile] : []),
    ...(clusterPort !== undefined
      ? [
          "--cluster-enabled",
          "yes",
          "--cluster-port",
          String(clusterPort),
          "--cluster-config-file",
          join(dir, "nodes.conf"),
        ]
      : []),
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

export async function startLocalRedis(opts: LocalRedisOptions = {}): Promise<LocalRedis> {
  const log = opts.log ?? (() => {});
  assertCommands(["redis-server"]);
  return retryOnPortClash(() => startRedis(opts, log), log);
}

async function startRedis(opts: LocalRedisOptions, log: (line: string) => void): Promise<LocalRedis> {
  const started = Date.now();
  const runDir = await createRunDir("argus-redis-", opts.workDir);
  const dir = runDir.path;
  const [port = 0, clusterPort] = await freePorts(opts.cluster ? 2 : 1, HOST);
  const logFile = join(dir, "redis.log");
  const server = supervise({
    command: "redis-server",
    args: redisArgs(port, dir, opts, clusterPort),
    cwd: dir,
    logFile,
  });
  // A plaintext PING cannot reach a TLS-only server, nor pass a `default` user that is off: those
  // are ready when their log says so.
  const secure = opts.tls !== undefined || opts.aclFile !== undefined;
  const ready = secure
    ? async () => /Ready to accept connections/.test(await readFile(logFile, "utf8").catch(() => ""))
    : () => pingRedis(port, HOST);

  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  while (!(await ready())) {
    const exited = server.hasExited();
    if (exited || Date.now() > deadline) {
      await server.stop(2_000);
      const tail = await tailFile(logFile);
      if (/Address already in use/.test(tail)) {
        await runDir.remove();
        throw new PortClashError(
          `redis port ${port}${clusterPort === undefined ? "" : ` or ${clusterPort}`}`,
        );
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
    url: `${opts.tls ? "rediss" : "redis"}://${HOST}:${port}`,
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
