import { spawn } from "node:child_process";
import { collectTopic, type TopicCollector, uniqueNamespace } from "@argus/testkit";
import { Redis } from "ioredis";
import type { Kafka, Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AuditLog, AuditLogError, auditStreamKey } from "../src/audit/audit-log.js";
import { type AuditEntry, decodeAuditEntry, type StoredAuditRecord } from "../src/audit/chain.js";
import { connectProducer, createKafka, ensureTopics } from "../src/kafka.js";
import { createLogger } from "../src/logger.js";

const entry = (actor: string, i: number): AuditEntry => ({
  actor,
  tenant: "acme",
  action: "alert.ack",
  target: `alert-${i}`,
  detail: { n: String(i), note: "acknowledged: looking into it" },
});

/** Runs the verify CLI against a deployment prefix; resolves with its exit code and output. */
function runCli(
  redisUrl: string,
  prefix: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "packages/runtime/src/audit/cli.ts", "verify"],
      {
        env: { ...process.env, REDIS_URL: redisUrl, ARGUS_REDIS_PREFIX: prefix },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("AuditLog on real Redis and Kafka", () => {
  const namespace = uniqueNamespace("audit");
  const brokers = inject("kafkaBrokers");
  const redisUrl = inject("redisUrl");
  const mirrorTopic = `${namespace}.argus.audit.v1`;
  const logger = createLogger("audit-test", process.env.ARGUS_TEST_LOG_LEVEL ?? "silent");
  // Two connections and two producers: the audit logs of two replicas.
  let redis: Redis;
  let otherReplica: Redis;
  let kafka: Kafka;
  let producer: Producer;
  let otherProducer: Producer;
  let mirror: TopicCollector;
  let testIndex = 0;

  beforeAll(async () => {
    redis = new Redis(redisUrl, { lazyConnect: true });
    otherReplica = new Redis(redisUrl, { lazyConnect: true });
    await Promise.all([redis.connect(), otherReplica.connect()]);
    kafka = createKafka({ brokers, clientId: namespace, logger });
    await ensureTopics(kafka, [{ topic: mirrorTopic, numPartitions: 3, replicationFactor: 1 }]);
    [producer, otherProducer] = await Promise.all([connectProducer(kafka), connectProducer(kafka)]);
    mirror = await collectTopic(brokers, mirrorTopic);
  });

  afterAll(async () => {
    await mirror?.stop();
    await Promise.all([producer?.disconnect(), otherProducer?.disconnect()]);
    if (redis) {
      const keys = await redis.keys(`${namespace}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await Promise.all([redis?.quit(), otherReplica?.quit()]);
  });

  /** A deployment of its own for one test: its prefix, and its audit log as seen by two replicas. */
  function deployment() {
    const prefix = `${namespace}-${++testIndex}`;
    const key = auditStreamKey(prefix);
    return {
      prefix,
      key,
      log: new AuditLog({ redis, key, mirror: { producer, topic: mirrorTopic } }),
      replica: new AuditLog({
        redis: otherReplica,
        key,
        mirror: { producer: otherProducer, topic: mirrorTopic },
      }),
    };
  }

  async function fill(log: AuditLog, count: number): Promise<StoredAuditRecord[]> {
    const records = [];
    for (let i = 0; i < count; i++) records.push(await log.append(entry("alice", i)));
    return records;
  }

  /** The stream's raw entries. */
  const rawEntries = (key: string) => redis.xrange(key, "-", "+");

  it("forms one chain without gaps from two replicas appending concurrently, mirrored to Kafka", async () => {
    const { key, log, replica } = deployment();
    const perReplica = 150;
    const [mine, theirs] = await Promise.all([
      Promise.all(Array.from({ length: perReplica }, (_, i) => log.append(entry("alice", i)))),
      Promise.all(Array.from({ length: perReplica }, (_, i) => replica.append(entry("bob", i)))),
    ]);
    const seqs = [...mine, ...theirs].map((record) => record.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 2 * perReplica }, (_, i) => i + 1));
    // Each replica's own appends keep their order.
    for (const records of [mine, theirs]) {
      expect(records.map((record) => record.seq)).toEqual(
        records.map((record) => record.seq).sort((a, b) => a - b),
      );
    }

    expect(await log.verify({ pageSize: 64 })).toEqual({ ok: true, count: 2 * perReplica });
    expect(await replica.verify()).toEqual({ ok: true, count: 2 * perReplica });
    const stored = (await rawEntries(key)).map(([id, fields]) => decodeAuditEntry(id, fields));
    expect(stored).toEqual([...mine, ...theirs].sort((a, b) => a.seq - b.seq));

    // The mirror holds every record, keyed by seq, exactly as stored.
    const hashes = new Set(stored.map((record) => (record as StoredAuditRecord).hash));
    const mirrored = await mirror.waitUntil(
      (messages) =>
        messages.filter((message) =>
          hashes.has((JSON.parse(String(message.value)) as StoredAuditRecord).hash),
        ).length >= hashes.size,
      60_000,
      "every audit record on the mirror",
    );
    const ours = mirrored
      .map((message) => ({
        key: String(message.key),
        record: JSON.parse(String(message.value)) as StoredAuditRecord,
      }))
      .filter(({ record }) => hashes.has(record.hash));
    expect(ours).toHaveLength(2 * perReplica);
    for (const { key: messageKey, record } of ours) expect(messageKey).toBe(String(record.seq));
    expect(ours.map(({ record }) => record).sort((a, b) => a.seq - b.seq)).toEqual(stored);
  });

  it("continues an existing chain from a fresh instance (a restarted replica)", async () => {
    const { key, log } = deployment();
    await fill(log, 3);
    const restarted = new AuditLog({ redis: otherReplica, key });
    expect((await restarted.append(entry("carol", 0))).seq).toBe(4);
    expect(await log.verify()).toEqual({ ok: true, count: 4 });
  });

  it("detects an entry deleted from the middle, naming the record after it", async () => {
    const { key, log } = deployment();
    const records = await fill(log, 10);
    await redis.xdel(key, (records[4] as StoredAuditRecord).id);
    expect(await log.verify({ pageSize: 3 })).toEqual({
      ok: false,
      count: 9,
      firstBroken: { seq: 6, id: records[5]?.id, reason: "seq 5 is missing before this record: deleted" },
    });
    // Appends still link to the tip, and the break stays where it is.
    await log.append(entry("alice", 10));
    expect(await log.verify()).toMatchObject({ ok: false, firstBroken: { seq: 6 } });
  });

  it("detects a stream rewritten with one field changed, naming that entry", async () => {
    const { key, log, prefix } = deployment();
    await fill(log, 20);
    expect(await runCli(redisUrl, prefix)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^OK: 20 records/),
    });

    // An attacker with Redis access: copy the stream with record 13's actor changed, replace the original.
    const original = await rawEntries(key);
    const copy = `${key}:copy`;
    for (const [id, fields] of original) {
      const changed = fields.slice();
      if (fields[fields.indexOf("seq") + 1] === "13") changed[changed.indexOf("actor") + 1] = "mallory";
      await redis.xadd(copy, id, ...changed);
    }
    await redis.rename(copy, key);
    const tampered = await rawEntries(key);
    expect(tampered.map(([id]) => id)).toEqual(original.map(([id]) => id));

    const result = await log.verify();
    expect(result).toMatchObject({
      ok: false,
      count: 20,
      firstBroken: { seq: 13, id: original[12]?.[0], reason: expect.stringMatching(/hash mismatch/) },
    });

    const cli = await runCli(redisUrl, prefix);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`BROKEN: first broken entry seq 13 (id ${original[12]?.[0]})`);
    expect(cli.stderr).toContain(`verifying ${key}`);
  }, 60_000);

  it("detects records deleted from the tail, and refuses to append over them", async () => {
    const { key, log, replica } = deployment();
    const records = await fill(log, 6);
    await redis.xdel(key, (records[5] as StoredAuditRecord).id, (records[4] as StoredAuditRecord).id);
    expect(await log.verify()).toEqual({
      ok: false,
      count: 4,
      firstBroken: {
        seq: 5,
        id: null,
        reason: expect.stringMatching(/seqs 5\.\.6 are missing at the end.*deleted from the tail/),
      },
    });
    // Appending on seq 4 would hide the deletion for good.
    await expect(replica.append(entry("bob", 0))).rejects.toThrow(AuditLogError);
    await expect(log.append(entry("alice", 0))).rejects.toThrow(/records were deleted from its tail/);
    expect(await redis.xlen(key)).toBe(4);
  });

  it("detects reordered entries and a forged entry added by hand", async () => {
    const { key, log } = deployment();
    await fill(log, 5);
    const original = await rawEntries(key);
    // Rewrite with records 2 and 3 swapped (new ids, since stream ids only grow).
    const copy = `${key}:copy`;
    for (const index of [0, 2, 1, 3, 4])
      await redis.xadd(copy, "*", ...(original[index] as [string, string[]])[1]);
    await redis.rename(copy, key);
    expect(await log.verify()).toMatchObject({
      ok: false,
      firstBroken: { seq: 3, reason: expect.stringMatching(/reordered/) },
    });

    const { key: otherKey, log: other } = deployment();
    await fill(other, 2);
    await redis.xadd(otherKey, "*", "seq", "3", "actor", "mallory");
    expect(await other.verify()).toMatchObject({
      ok: false,
      firstBroken: { seq: 3, reason: expect.stringMatching(/^malformed entry: missing field/) },
    });
    await expect(other.append(entry("alice", 0))).rejects.toThrow(/not an audit record/);
  });

  it("verifies a missing log as empty and refuses a key of another type", async () => {
    const { key, log, prefix } = deployment();
    expect(await log.verify()).toEqual({ ok: true, count: 0 });
    expect(await runCli(redisUrl, prefix)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^OK: 0 records/),
    });
    await redis.set(key, "x");
    await expect(log.append(entry("alice", 0))).rejects.toThrow(/WRONGTYPE/);
  }, 60_000);
});
