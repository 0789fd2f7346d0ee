import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  freePorts,
  isolatedServiceEnv,
  type LocalRedis,
  startLocalRedis,
  testProducer,
  uniqueNamespace,
} from "@argus/testkit";
import { Redis } from "ioredis";
import type { Producer } from "kafkajs";
import { afterAll, describe, expect, inject, it } from "vitest";
import { topicNames } from "../src/topics.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const fixture = "packages/runtime/test/fixtures/fenced-counter-service.ts";

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, output: string[]): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; service output:\n${output.slice(-30).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function httpGet(port: number, path: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined; // not listening (yet, or any more)
  }
}

describe("a service whose consumer stops for good (real Kafka, its own Redis taken away)", () => {
  const namespace = uniqueNamespace("liveness");
  let redisServer: LocalRedis | undefined;
  let redis: Redis | undefined;
  let producer: Producer | undefined;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
    redis?.disconnect();
    await producer?.disconnect();
    await redisServer?.stop();
  });

  it("fails /healthz naming the consumer and why, then exits with code 1 and the reason logged", async () => {
    // Its own Redis: the test stops it, which the other test files must not see.
    redisServer = await startLocalRedis();
    redis = new Redis(redisServer.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    const brokers = inject("kafkaBrokers");
    const [httpPort = 0, grpcPort = 0] = await freePorts(2);
    const env = isolatedServiceEnv({ kafkaBrokers: brokers, redisUrl: redisServer.url }, namespace, {
      HTTP_PORT: String(httpPort),
      GRPC_PORT: String(grpcPort),
      LOG_LEVEL: "warn",
      SHUTDOWN_TIMEOUT_MS: "120000",
    });
    const output: string[] = [];
    const started = spawn(process.execPath, ["--import", "tsx", fixture], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    child = started;
    const keep = (chunk: Buffer) => output.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    started.stdout?.on("data", keep);
    started.stderr?.on("data", keep);
    const exit = new Promise<number | null>((resolve) => started.once("exit", (code) => resolve(code)));

    await waitFor(
      "the service to be ready",
      async () => {
        if (started.exitCode !== null) throw new Error(`exited early:\n${output.join("\n")}`);
        return (await httpGet(httpPort, "/readyz"))?.status === 200 ? true : undefined;
      },
      output,
    );
    const inference = topicNames(`${namespace}.`).inference;
    producer = await testProducer(brokers);
    await producer.send({ topic: inference, messages: [{ key: "a", value: "first" }] });
    const counts = `${namespace}:fenced-counter:counts`;
    await waitFor(
      "the first record to be counted",
      async () => (await redis?.hget(counts, "first")) ?? undefined,
      output,
    );
    expect((await httpGet(httpPort, "/healthz"))?.status).toBe(200);

    // Redis goes away for longer than the consumer's retries and restarts.
    redis.disconnect();
    await redisServer.stop();
    await producer.send({ topic: inference, messages: [{ key: "a", value: "second" }] });

    const health = await waitFor(
      "/healthz to fail",
      async () => {
        const answer = await httpGet(httpPort, "/healthz");
        return answer?.status === 503 ? answer : undefined;
      },
      output,
    );
    const consumerName = `consumer ${namespace}.fenced-counter`;
    const body = JSON.parse(health.body) as { live: boolean; failures: Record<string, string> };
    expect(body.live).toBe(false);
    expect(Object.keys(body.failures)).toEqual([consumerName]);
    expect(body.failures[consumerName]).toMatch(/^crashed without restart: /);

    // The test has seen the probe fail: let the shutdown finish.
    started.stdin?.end();
    expect(await exit).toBe(1);
    const logged = output.flatMap((line) => {
      try {
        return [JSON.parse(line) as { level: number; msg: string; reason?: string; component?: string }];
      } catch {
        return [];
      }
    });
    const fatal = logged.find(
      (entry) => entry.msg === "fenced-counter cannot go on: shutting down to be restarted",
    );
    expect(fatal).toEqual(
      expect.objectContaining({ component: consumerName, reason: body.failures[consumerName] }),
    );
    expect(fatal?.level).toBeGreaterThanOrEqual(50);
  });
});
