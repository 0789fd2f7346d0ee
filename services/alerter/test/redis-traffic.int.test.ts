import { createConnection, createServer, type Server, type Socket } from "node:net";
import { createLogger, createRedis, type Redis } from "@argus/runtime";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type AlerterHarness, eventually, findingOf, startAlerterHarness } from "./harness.js";

/** What the alerter sent to Redis through a counting proxy: bytes, and reads of its socket. */
interface Traffic {
  bytes: number;
  writes: number;
}

/**
 * A TCP proxy in front of Redis that counts what its clients send: the bytes Redis reads, and the
 * chunks they arrive in (one per client socket write, or fewer when the kernel merges them).
 */
async function countingProxy(
  redisUrl: string,
): Promise<{ url: string; traffic: Traffic; close(): Promise<void> }> {
  const target = new URL(redisUrl);
  const traffic: Traffic = { bytes: 0, writes: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (chunk: Buffer) => {
      traffic.bytes += chunk.length;
      traffic.writes++;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    traffic,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("Redis traffic of the alerter delivering webhooks (real Kafka, Redis and HTTP)", () => {
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let h: AlerterHarness;
  let redis: Redis;

  beforeAll(async () => {
    proxy = await countingProxy(inject("redisUrl"));
    redis = createRedis(inject("redisUrl"), createLogger("redis-traffic-test", "silent"));
    await redis.connect();
    h = await startAlerterHarness(
      { kafkaBrokers: inject("kafkaBrokers"), redisUrl: proxy.url },
      // Polls are rare, so what is counted is the work on the findings, not the idle loops.
      { receivers: 1, env: { ALERTER_POLL_MS: "2000" } },
    );
  });

  afterAll(async () => {
    await h?.stop();
    await proxy?.close();
    await redis?.quit();
  });

  it("writes a few KB and makes about one socket write per webhook when many alerts fire at once", async () => {
    const [receiver] = h.receivers;
    if (!receiver) throw new Error("no receiver");
    // Started and idle: its start-up traffic (consumer group, first polls) is not the subject.
    await h.publish(findingOf("warm-up", "fp-warm-up", { alertname: "Drift", model: "warm-up" }));
    await receiver.waitFor(1, 30_000);
    const outboxEmpty = () =>
      eventually(
        () => redis.zcard(`${h.namespace}:alerter:outbox:due`),
        (pending) => pending === 0,
        30_000,
      );
    await outboxEmpty();
    const before = { ...proxy.traffic };

    // Each finding a new alert in a group of its own (one model each): one webhook each.
    const webhooks = 200;
    await h.publish(
      ...Array.from({ length: webhooks }, (_, i) =>
        findingOf(`burst-${i}`, `fp-burst-${i}`, { alertname: "Drift", model: `burst-${i}` }),
      ),
    );
    await receiver.waitFor(webhooks + 1, 60_000);
    // Delivered means written too: the outcome is stored after the receiver's answer.
    await outboxEmpty();

    const bytes = (proxy.traffic.bytes - before.bytes) / webhooks;
    const writes = (proxy.traffic.writes - before.writes) / webhooks;
    // One command, and one copy of a script, per step (the alerter before pipelining): ~10 KB in
    // ~11 socket writes per webhook. Pipelined passes sharing their scripts: ~7 KB in under one.
    // The script by its digest, its commands in a compact plan, bodies without their field names: ~5.3 KB.
    expect(bytes).toBeLessThan(6_000);
    expect(writes).toBeLessThan(2);
    expect(new Set(receiver.received.map((w) => w.id)).size).toBe(webhooks + 1);
  });
});
