import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** Kills the process group at once (no drain): what a node failure or the OOM killer does. */
export function killService(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => service.child.once("exit", () => resolve()));
  service.child.kill("SIGKILL");
  return exited;
}

export interface ServiceProcess {
  name: string;
  httpPort: number;
  grpcPort: number;
  child: ChildProcess;
  output: string[];
}

/** Starts one Argus service as its own process, as it runs in production (minus the image). */
export function spawnService(
  name: string,
  env: Record<string, string>,
  ports: { http: number; grpc: number },
): ServiceProcess {
  const child = spawn(process.execPath, ["--import", "tsx", `services/${name}/src/main.ts`], {
    cwd: repoRoot,
    env: { ...process.env, ...env, HTTP_PORT: String(ports.http), GRPC_PORT: String(ports.grpc) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { name, httpPort: ports.http, grpcPort: ports.grpc, child, output };
}

/** Polls `/readyz` until the service says its Kafka and Redis are reachable. */
export async function waitReady(service: ServiceProcess, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (service.child.exitCode !== null) {
      throw new Error(
        `${service.name} exited with ${service.child.exitCode}:\n${service.output.slice(-20).join("\n")}`,
      );
    }
    try {
      const response = await fetch(`http://127.0.0.1:${service.httpPort}/readyz`);
      if (response.ok) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `${service.name} not ready after ${timeoutMs} ms:\n${service.output.slice(-20).join("\n")}`,
  );
}

/** SIGTERM (graceful drain), then SIGKILL if it does not exit in time. */
export async function stopService(service: ServiceProcess, timeoutMs: number): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => service.child.once("exit", () => resolve()));
  service.child.kill("SIGTERM");
  const timer = setTimeout(() => service.child.kill("SIGKILL"), timeoutMs);
  await exited;
  clearTimeout(timer);
}
