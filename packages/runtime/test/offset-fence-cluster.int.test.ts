import { type LocalRedis, startLocalRedis, uniqueNamespace } from "@argus/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyFenced, OffsetFence, offsetFenceKey, partitionHashTag } from "../src/offset-fence.js";
import { keyspace } from "../src/redis.js";

describe("offset fence keys on a Redis Cluster node", () => {
  const key = keyspace(uniqueNamespace("cluster"), "drift-detector");
  const topic = "argus.inference.v1";
  let server: LocalRedis | undefined;
  let redis: Redis;

  beforeAll(async () => {
    // A one-node cluster that owns every slot: it refuses a script over keys of different slots
    // (CROSSSLOT) exactly as a production cluster does.
    server = await startLocalRedis({ cluster: true });
    redis = new Redis(server.url, { lazyConnect: true });
    await redis.connect();
    await redis.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
    for (;;) {
      const info = String(await redis.call("CLUSTER", "INFO"));
      if (info.includes("cluster_state:ok")) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  afterAll(async () => {
    await redis?.quit();
    await server?.stop();
  });

  const fenceOf = (groupId: string) =>
    new OffsetFence(redis, (fenced, partition) => offsetFenceKey(key, groupId, fenced, partition));
  const batch = (partition: number) => ({
    topic,
    partition,
    records: [{ offset: "0" }, { offset: "1" }],
    lastOffset: "1",
  });

  it("carries the partition's hash tag, after the group", () => {
    expect(offsetFenceKey(key, "argus-drift", topic, 4)).toBe(
      `${key("fence", "argus-drift")}:{argus.inference.v1:4}`,
    );
  });

  it("is written in one script with the partition's state keys", async () => {
    const state = key("windows", partitionHashTag(topic, 2));
    const applied = await applyFenced(fenceOf("argus-drift"), batch(2), async (fresh) => [
      ["HINCRBY", state, "events", fresh.length],
    ]);
    expect(applied).toHaveLength(2);
    expect(await redis.hget(state, "events")).toBe("2");
    expect(await fenceOf("argus-drift").read(topic, 2)).toBe(1n);
  });

  it("lives in another slot than another partition's state: such a write is refused", async () => {
    const otherPartition = key("windows", partitionHashTag(topic, 3));
    await expect(
      applyFenced(fenceOf("argus-drift"), batch(5), async () => [["HINCRBY", otherPartition, "events", 1]]),
    ).rejects.toThrow(/CROSSSLOT/);
    expect(await fenceOf("argus-drift").read(topic, 5)).toBeNull();
  });
});
