import { isolatedServiceEnv, uniqueNamespace } from "@argus/testkit";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { baseConfigSchema, loadConfig } from "../src/config.js";
import { type RunningHttpServer, startHttpServer } from "../src/http-server.js";
import { createLogger } from "../src/logger.js";
import { createMetrics, type ServiceMetrics } from "../src/metrics.js";
import { type RunningService, startService } from "../src/service.js";

const logger = createLogger("http-server-test", "silent");

async function get(port: number, path: string, init?: RequestInit) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    ...init,
    signal: AbortSignal.timeout(15_000),
  });
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: await response.text(),
  };
}

describe("HTTP health and metrics server", () => {
  let server: RunningHttpServer;
  let metrics: ServiceMetrics;
  let checks: Record<string, boolean> = {};
  let readinessError: Error | undefined;

  beforeAll(async () => {
    metrics = createMetrics("http-test");
    server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      registry: metrics.registry,
      logger,
      readiness: async () => {
        if (readinessError) throw readinessError;
        return checks;
      },
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("answers /healthz with 200 whatever the dependencies say", async () => {
    checks = { kafka: false, redis: false };
    const health = await get(server.port, "/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toBe("ok\n");
    expect((await get(server.port, "/healthz?probe=kubelet")).status).toBe(200);
  });

  it("answers /readyz with 200 when every dependency is reachable", async () => {
    checks = { kafka: true, redis: true };
    const ready = await get(server.port, "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.contentType).toBe("application/json");
    expect(JSON.parse(ready.body)).toEqual({ ready: true, checks: { kafka: true, redis: true } });
  });

  it("answers /readyz with 503 naming the dependency that is down", async () => {
    checks = { kafka: true, redis: false };
    const notReady = await get(server.port, "/readyz");
    expect(notReady.status).toBe(503);
    const body = JSON.parse(notReady.body) as { ready: boolean; checks: Record<string, boolean> };
    expect(body.ready).toBe(false);
    expect(
      Object.entries(body.checks)
        .filter(([, up]) => !up)
        .map(([name]) => name),
    ).toEqual(["redis"]);
  });

  it("answers /readyz with 503 and the reason when the checks themselves fail", async () => {
    readinessError = new Error("describeCluster: connection refused");
    try {
      const failed = await get(server.port, "/readyz");
      expect(failed.status).toBe(503);
      expect(JSON.parse(failed.body)).toEqual({ ready: false, error: "describeCluster: connection refused" });
    } finally {
      readinessError = undefined;
    }
  });

  it("serves Prometheus text on /metrics with the kit's metrics", async () => {
    metrics.recordsConsumed.inc({ topic: "argus.inference.v1", result: "accepted" }, 7);
    const scraped = await get(server.port, "/metrics");
    expect(scraped.status).toBe(200);
    expect(scraped.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(scraped.body).toContain("# TYPE argus_records_consumed_total counter");
    expect(scraped.body).toContain(
      'argus_records_consumed_total{topic="argus.inference.v1",result="accepted",service="http-test"} 7',
    );
    expect(scraped.body).toContain("# TYPE argus_batch_duration_seconds histogram");
    expect(scraped.body).toContain("argus_consumer_lag_records");
    // Default process metrics, under the argus_ prefix.
    expect(scraped.body).toMatch(/^argus_process_cpu_user_seconds_total\{service="http-test"\} /m);
  });

  it("answers 404 for other paths and 405 for other methods", async () => {
    expect((await get(server.port, "/")).status).toBe(404);
    expect((await get(server.port, "/metrics/extra")).status).toBe(404);
    expect((await get(server.port, "/readyz", { method: "POST" })).status).toBe(405);
  });
});

describe("HTTP endpoints of a service started by the kit on real Kafka and Redis", () => {
  const namespace = uniqueNamespace("http");
  const groupId = `${namespace}-metrics`;
  let service: RunningService;

  beforeAll(async () => {
    const env = isolatedServiceEnv(
      { kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") },
      namespace,
    );
    service = await startService("http-probe", loadConfig(baseConfigSchema, env), async () => ({}), {
      logger,
    });
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("is ready when Kafka and Redis answer", async () => {
    const ready = await get(service.httpPort, "/readyz");
    expect(JSON.parse(ready.body)).toEqual({ ready: true, checks: { kafka: true, redis: true } });
    expect(ready.status).toBe(200);
  });

  it("counts consumed records by result on /metrics", async () => {
    const { context } = service;
    const handled: string[] = [];
    await context.consume({
      groupId,
      topics: [context.topics.inference],
      decode: (value) =>
        value?.toString() === "good" ? { ok: true, value: "good" } : { ok: false, reason: "bad" },
      handle: async (batch) => {
        handled.push(...batch.records.map((record) => record.value));
      },
    });
    await context.producer.send({
      topic: context.topics.inference,
      acks: -1,
      messages: [
        { key: "a", value: "good" },
        { key: "a", value: "good" },
        { key: "a", value: "junk" },
      ],
    });
    const topic = context.topics.inference;
    const accepted = `argus_records_consumed_total{topic="${topic}",result="accepted",service="http-probe"} 2`;
    const rejected = `argus_records_consumed_total{topic="${topic}",result="dead_lettered",service="http-probe"} 1`;
    const deadline = Date.now() + 30_000;
    let body = "";
    while (Date.now() < deadline) {
      body = (await get(service.httpPort, "/metrics")).body;
      if (body.includes(accepted) && body.includes(rejected)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(body).toContain(accepted);
    expect(body).toContain(rejected);
    expect(handled).toEqual(["good", "good"]);
  });

  it("turns not ready, naming Redis, when Redis is gone", async () => {
    service.context.redis.disconnect();
    const notReady = await get(service.httpPort, "/readyz");
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.body)).toEqual({
      ready: false,
      checks: { kafka: true, redis: false, [`consumer ${namespace}.${groupId}`]: true },
    });
    // The process itself is still alive.
    expect((await get(service.httpPort, "/healthz")).status).toBe(200);
  });
});
