/**
 * `pnpm test:images`: runs each image that `pnpm images` built as Kubernetes runs it (read-only root,
 * only /tmp writable, user 1000:1000, no capabilities) against the Kafka and Redis of
 * KAFKA_BROKERS / REDIS_URL (or a Kafka and Redis it starts), on the host's network, in a namespace
 * of topics and keys of its own,
 * and checks what the issue asks of a production image:
 *
 *   - the image is under the size target, runs as 1000:1000 under tini, and has a HEALTHCHECK;
 *   - the service becomes ready (/readyz 200) and the HEALTHCHECK reports it healthy;
 *   - the root filesystem refuses writes and /tmp takes them;
 *   - `podman stop` (SIGTERM) returns in under 2 s, the service having shut down cleanly (exit 0);
 *   - SIGTERM still stops it at once while it is starting (before the service handles signals).
 *
 * Not part of `pnpm test`: it needs podman and the images. Exit 0 when every check passes.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startStack } from "@argus/testkit";
import { imageSizeBytes, megabytes, podman, podmanResult } from "./podman.js";
import {
  defaultImageTag,
  imageName,
  imageSizeBudgetBytes,
  repoRoot,
  type ServiceImage,
  serviceImages,
} from "./services.js";

const stopBudgetMs = 2_000;
const readyTimeoutMs = 120_000;
const pollMs = 250;

let failures = 0;

function report(ok: boolean, service: string, what: string): void {
  if (!ok) failures += 1;
  process.stdout.write(`${ok ? "ok  " : "FAIL"}  ${service.padEnd(17)} ${what}\n`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("expected a TCP address");
  return address.port;
}

/** The Kafka and Redis the containers reach over the host's network. */
interface Servers {
  kafkaBrokers: string;
  redisUrl: string;
}

interface Ports {
  grpc: number;
  http: number;
}

/** The environment of one run: its own topics and keys, loopback ports, sealed evidence. */
function serviceEnv(service: ServiceImage, namespace: string, ports: Ports, servers: Servers): string[] {
  const env: Record<string, string> = {
    KAFKA_BROKERS: servers.kafkaBrokers,
    REDIS_URL: servers.redisUrl,
    ARGUS_TOPIC_PREFIX: `${namespace}.`,
    ARGUS_REDIS_PREFIX: namespace,
    KAFKA_TOPIC_PARTITIONS: "3",
    GRPC_HOST: "127.0.0.1",
    GRPC_PORT: String(ports.grpc),
    HTTP_HOST: "127.0.0.1",
    HTTP_PORT: String(ports.http),
    // Loopback only: production serves gRPC with TLS.
    GRPC_PLAINTEXT: "true",
    ARGUS_EVIDENCE_KEYS: JSON.stringify({ k1: randomBytes(32).toString("base64") }),
    ARGUS_EVIDENCE_KEY_ID: "k1",
    LOG_LEVEL: "warn",
  };
  if (service.name === "alerter") {
    env.ALERTER_WEBHOOK_URL = "https://receiver.example/argus";
    env.ALERTER_WEBHOOK_SECRET = `whsec_${randomBytes(32).toString("base64")}`;
  }
  if (service.name === "anomaly-detector") env.ANOMALY_INPUT_SCHEMAS_FILE = "/etc/argus/models.yaml";
  return Object.entries(env).flatMap(([name, value]) => ["--env", `${name}=${value}`]);
}

function runContainer(service: ServiceImage, name: string, env: string[]): void {
  const mounts =
    service.name === "anomaly-detector"
      ? [
          "--volume",
          `${join(repoRoot, "services/anomaly-detector/config/models.example.yaml")}:/etc/argus/models.yaml:ro`,
        ]
      : [];
  podman([
    "run",
    "--detach",
    "--name",
    name,
    "--read-only",
    "--tmpfs",
    "/tmp:rw,size=64m,mode=1777",
    "--user",
    "1000:1000",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    "--network",
    "host",
    ...mounts,
    ...env,
    imageName(service.name, defaultImageTag),
  ]);
}

function containerState(name: string): { status: string; exitCode: number } {
  const [status, exitCode] = podman([
    "inspect",
    "--format",
    "{{.State.Status}} {{.State.ExitCode}}",
    name,
  ]).split(" ");
  return { status: status ?? "", exitCode: Number(exitCode) };
}

function logsTail(name: string): string {
  const logs = podmanResult(["logs", "--tail", "20", name]);
  return `${logs.stdout}${logs.stderr}`
    .trim()
    .split("\n")
    .map((line) => `        | ${line.slice(0, 300)}`)
    .join("\n");
}

async function readyzStatus(port: number): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3_000) });
    return response.status;
  } catch {
    return undefined;
  }
}

/** Polls /readyz until 200; undefined when the container exits or the time runs out first. */
async function waitReady(name: string, port: number): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < readyTimeoutMs) {
    if ((await readyzStatus(port)) === 200) return performance.now() - started;
    if (containerState(name).status !== "running") return undefined;
    await sleep(pollMs);
  }
  return undefined;
}

function stop(name: string): { elapsedMs: number; exitCode: number } {
  const started = performance.now();
  podman(["stop", "--time", "10", name]);
  const elapsedMs = performance.now() - started;
  return { elapsedMs, exitCode: containerState(name).exitCode };
}

function checkImageConfig(service: ServiceImage): void {
  const image = imageName(service.name, defaultImageTag);
  const size = imageSizeBytes(image);
  report(
    size < imageSizeBudgetBytes,
    service.name,
    `image size ${megabytes(size)} (target < ${megabytes(imageSizeBudgetBytes)})`,
  );
  const config = JSON.parse(podman(["image", "inspect", "--format", "{{json .Config}}", image])) as {
    User?: string;
    Entrypoint?: string[];
  };
  // Not in the OCI config: podman keeps it beside, from the docker format the image was built in.
  const healthcheck = JSON.parse(
    podman(["image", "inspect", "--format", "{{json .HealthCheck}}", image]) || "null",
  ) as { Test?: string[] } | null;
  report(config.User === "1000:1000", service.name, `image user ${config.User ?? "(none)"}`);
  report(
    config.Entrypoint?.[0] === "/usr/bin/tini",
    service.name,
    `entrypoint ${JSON.stringify(config.Entrypoint ?? [])} (tini as PID 1)`,
  );
  report(
    (healthcheck?.Test ?? []).join(" ").includes("healthcheck.mjs"),
    service.name,
    `HEALTHCHECK ${JSON.stringify(healthcheck?.Test ?? [])}`,
  );
}

async function checkRunning(service: ServiceImage, namespace: string, servers: Servers): Promise<void> {
  const name = `${namespace}-${service.name}`;
  const ports = { grpc: await freePort(), http: await freePort() };
  try {
    runContainer(service, name, serviceEnv(service, namespace, ports, servers));
    const readyAfter = await waitReady(name, ports.http);
    report(
      readyAfter !== undefined,
      service.name,
      readyAfter !== undefined
        ? `/readyz 200 after ${(readyAfter / 1000).toFixed(1)} s (read-only root, /tmp tmpfs, user 1000:1000)`
        : `/readyz never answered 200 (${containerState(name).status})\n${logsTail(name)}`,
    );
    if (readyAfter === undefined) return;

    const health = podmanResult(["healthcheck", "run", name]);
    const healthStatus = podman(["inspect", "--format", "{{.State.Health.Status}}", name]);
    report(
      health.status === 0 && healthStatus === "healthy",
      service.name,
      `podman healthcheck run: exit ${health.status}, status ${healthStatus}`,
    );

    const rootWrite = podmanResult([
      "exec",
      name,
      "node",
      "-e",
      "require('fs').writeFileSync('/app/probe', 'x')",
    ]);
    const tmpWrite = podmanResult([
      "exec",
      name,
      "node",
      "-e",
      "require('fs').writeFileSync('/tmp/probe', 'x')",
    ]);
    report(
      rootWrite.status !== 0 && rootWrite.stderr.includes("EROFS") && tmpWrite.status === 0,
      service.name,
      `root filesystem refuses writes (${rootWrite.stderr.includes("EROFS") ? "EROFS" : "no EROFS"}), /tmp takes them (exit ${tmpWrite.status})`,
    );

    const processUser = podman([
      "exec",
      name,
      "sh",
      "-c",
      "stat -c %u:%g /proc/1 && tr '\\0' ' ' < /proc/1/cmdline",
    ]);
    report(
      processUser.startsWith("1000:1000") && processUser.includes("tini"),
      service.name,
      `PID 1: ${processUser.replace(/\s+/g, " ").trim()}`,
    );

    const stopped = stop(name);
    report(
      stopped.elapsedMs < stopBudgetMs && stopped.exitCode === 0,
      service.name,
      `podman stop (SIGTERM) returned in ${(stopped.elapsedMs / 1000).toFixed(2)} s, exit code ${stopped.exitCode} (target < 2 s, 0)`,
    );
    if (stopped.exitCode !== 0) process.stdout.write(`${logsTail(name)}\n`);
  } finally {
    podmanResult(["rm", "--force", name]);
  }
}

/** A broker that does not answer keeps the service in start-up, before it handles SIGTERM itself. */
async function checkStopWhileStarting(
  service: ServiceImage,
  namespace: string,
  servers: Servers,
): Promise<void> {
  const name = `${namespace}-${service.name}-starting`;
  const ports = { grpc: await freePort(), http: await freePort() };
  try {
    // A broker that is not there: the service is still starting when it is stopped.
    const nowhere = { ...servers, kafkaBrokers: `127.0.0.1:${await freePort()}` };
    runContainer(service, name, serviceEnv(service, namespace, ports, nowhere));
    // Up to the point where node runs: PID 1's child exists.
    const started = performance.now();
    while (performance.now() - started < 10_000) {
      if (podmanResult(["exec", name, "sh", "-c", "test -e /proc/2"]).status === 0) break;
      await sleep(pollMs);
    }
    const stopped = stop(name);
    report(
      stopped.elapsedMs < stopBudgetMs,
      service.name,
      `podman stop while starting returned in ${(stopped.elapsedMs / 1000).toFixed(2)} s, exit code ${stopped.exitCode}`,
    );
  } finally {
    podmanResult(["rm", "--force", name]);
  }
}

async function main(): Promise<void> {
  // KAFKA_BROKERS / REDIS_URL when given, else a Kafka and Redis of its own on loopback.
  const stack = await startStack({ log: (line) => process.stdout.write(`  ${line}\n`) });
  const servers: Servers = { kafkaBrokers: stack.kafkaBrokers.join(","), redisUrl: stack.redisUrl };
  const namespace = `t-images-${randomBytes(3).toString("hex")}`;
  try {
    for (const service of serviceImages) {
      checkImageConfig(service);
      await checkRunning(service, namespace, servers);
      await checkStopWhileStarting(service, namespace, servers);
    }
  } finally {
    await stack.stop();
  }
  process.stdout.write(
    failures === 0 ? "\nall image checks passed\n" : `\n${failures} image check(s) failed\n`,
  );
  process.exitCode = failures === 0 ? 0 : 1;
}

try {
  await main();
} catch (error) {
  process.stderr.write(`test:images: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
