import { createHash, randomBytes } from "node:crypto";
import { DeadLetter } from "@argus/proto";
import { collectTopic, type TopicCollector, uniqueNamespace } from "@argus/testkit";
import { Redis } from "ioredis";
import type { Admin, Kafka, Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type BatchConsumerOptions,
  type Decoded,
  type RecordBatch,
  type RunningConsumer,
  startBatchConsumer,
} from "../src/consumer-loop.js";
import { DeadLetterPublisher, MIN_DEAD_LETTER_MAX_BYTES } from "../src/dead-letter.js";
import { connectProducer, createKafka, ensureTopics, kafkaConsumerPort } from "../src/kafka.js";
import { createLogger } from "../src/logger.js";
import { createMetrics } from "../src/metrics.js";
import { applyFenced, type FencedCommand, OffsetFence } from "../src/offset-fence.js";

interface Reading {
  sensor: string;
  value: number;
}

/** JSON readings; anything else is rejected with a reason, or makes the decoder throw. */
function decodeReading(value: Buffer | null, headers: Record<string, string>): Decoded<Reading> {
  if (!value) return { ok: false, reason: "empty record" };
  const text = value.toString("utf8");
  if (headers["x-poison"] === "throw") throw new Error(`cannot read ${text}`);
  if (!text.startsWith("{")) return { ok: false, reason: `not JSON: ${text.slice(0, 20)}` };
  return { ok: true, value: JSON.parse(text) as Reading };
}

const reading = (sensor: string, value: number) => Buffer.from(JSON.stringify({ sensor, value }));

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("startBatchConsumer on real Kafka and Redis", () => {
  const namespace = uniqueNamespace("loop");
  const brokers = inject("kafkaBrokers");
  const logger = createLogger("consumer-loop-test", process.env.ARGUS_TEST_LOG_LEVEL ?? "silent");
  const deadLetterTopic = `${namespace}.argus.deadletter.v1`;
  let kafka: Kafka;
  let producer: Producer;
  let admin: Admin;
  let redis: Redis;
  let deadLetters: TopicCollector;
  const running: RunningConsumer[] = [];
  let testIndex = 0;

  beforeAll(async () => {
    kafka = createKafka({ brokers, clientId: namespace, logger });
    await ensureTopics(kafka, [{ topic: deadLetterTopic, numPartitions: 1, replicationFactor: 1 }]);
    producer = await connectProducer(kafka);
    admin = kafka.admin();
    await admin.connect();
    redis = new Redis(inject("redisUrl"), { lazyConnect: true });
    await redis.connect();
    deadLetters = await collectTopic(brokers, deadLetterTopic);
  });

  afterAll(async () => {
    for (const consumer of running) await consumer.stop().catch(() => {});
    await deadLetters?.stop();
    if (redis) {
      const keys = await redis.keys(`${namespace}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
    await admin?.disconnect();
    await producer?.disconnect();
  });

  /** A fresh single-partition topic and consumer group for one test. */
  async function freshTopic(
    configEntries?: { name: string; value: string }[],
  ): Promise<{ topic: string; groupId: string }> {
    const n = ++testIndex;
    const topic = `${namespace}.in-${n}`;
    await ensureTopics(kafka, [
      { topic, numPartitions: 1, replicationFactor: 1, ...(configEntries ? { configEntries } : {}) },
    ]);
    return { topic, groupId: `${namespace}-group-${n}` };
  }

  async function start(
    topic: string,
    groupId: string,
    handle: (batch: RecordBatch<Reading>) => Promise<void>,
    metrics = createMetrics("consumer-loop-test"),
    extra: Partial<BatchConsumerOptions<Reading>> = {},
  ): Promise<RunningConsumer> {
    const consumer = await startBatchConsumer<Reading>({
      joinGroup: kafkaConsumerPort(kafka),
      groupId,
      topics: [topic],
      decode: decodeReading,
      handle,
      deadLetters: new DeadLetterPublisher(producer, deadLetterTopic, groupId),
      logger,
      metrics,
      ...extra,
    });
    running.push(consumer);
    return consumer;
  }

  async function stopConsumer(consumer: RunningConsumer): Promise<void> {
    await consumer.stop();
    running.splice(running.indexOf(consumer), 1);
  }

  /** The offset committed for partition 0 of `topic` by `groupId` ("-1" when none). */
  async function committed(groupId: string, topic: string): Promise<string> {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets?.partitions.find((partition) => partition.partition === 0)?.offset ?? "-1";
  }

  function deadLettersFrom(topic: string): DeadLetter[] {
    return deadLetters.messages
      .map((message) => DeadLetter.decode(message.value ?? Buffer.alloc(0)))
      .filter((letter) => letter.sourceTopic === topic);
  }

  it("dead-letters rejected records with reason and original bytes, and hands the rest to the handler", async () => {
    const { topic, groupId } = await freshTopic();
    const garbage = randomBytes(48);
    garbage[0] = 0x00; // not "{"
    await producer.send({
      topic,
      messages: [
        { key: "s-1", value: reading("s-1", 1) },
        { key: "s-2", value: garbage, headers: { origin: "fuzzer" } },
        { key: "s-1", value: reading("s-1", 2) },
        { key: "s-3", value: Buffer.from("poison"), headers: { "x-poison": "throw" } },
        { key: "s-2", value: reading("s-2", 3) },
      ],
    });
    const handled: RecordBatch<Reading>[] = [];
    const metrics = createMetrics("consumer-loop-test");
    const consumer = await start(
      topic,
      groupId,
      async (batch) => {
        handled.push(batch);
      },
      metrics,
    );

    await waitFor(
      "3 accepted records",
      () => handled.flatMap((batch) => batch.records).length >= 3 || undefined,
    );
    const accepted = handled.flatMap((batch) => batch.records);
    expect(accepted.map((record) => [record.offset, record.key?.toString(), record.value])).toEqual([
      ["0", "s-1", { sensor: "s-1", value: 1 }],
      ["2", "s-1", { sensor: "s-1", value: 2 }],
      ["4", "s-2", { sensor: "s-2", value: 3 }],
    ]);
    // The batch's position covers the dead-lettered records too.
    expect(handled.at(-1)?.lastOffset).toBe("4");

    await deadLetters.waitUntil(() => deadLettersFrom(topic).length >= 2, 30_000, "2 dead letters");
    const letters = deadLettersFrom(topic).sort((a, b) => a.sourceOffset - b.sourceOffset);
    expect(letters).toHaveLength(2);
    const [notJson, thrown] = letters as [DeadLetter, DeadLetter];
    expect(notJson).toEqual(
      expect.objectContaining({
        sourceTopic: topic,
        sourcePartition: 0,
        sourceOffset: 1,
        consumerGroup: groupId,
      }),
    );
    expect(Buffer.from(notJson.originalValue).equals(garbage)).toBe(true);
    expect(Buffer.from(notJson.originalKey).toString()).toBe("s-2");
    expect(notJson.originalHeaders).toEqual({ origin: "fuzzer" });
    expect(notJson.reason).toMatch(/^not JSON: /);
    expect(notJson.failedAt).toBeInstanceOf(Date);
    expect(thrown.sourceOffset).toBe(3);
    expect(thrown.reason).toBe("decode failed: cannot read poison");
    expect(Buffer.from(thrown.originalValue).toString()).toBe("poison");
    // Keyed like the original, so a replay keeps per-key order.
    const letterKeys = deadLetters.messages
      .filter((message) => DeadLetter.decode(message.value ?? Buffer.alloc(0)).sourceTopic === topic)
      .map((message) => message.key?.toString())
      .sort();
    expect(letterKeys).toEqual(["s-2", "s-3"]);

    await waitFor("commit of offset 5", async () =>
      (await committed(groupId, topic)) === "5" ? true : undefined,
    );
    const consumed = await metrics.registry.getSingleMetricAsString("argus_records_consumed_total");
    expect(consumed).toContain(
      `argus_records_consumed_total{topic="${topic}",result="accepted",service="consumer-loop-test"} 3`,
    );
    expect(consumed).toContain(
      `argus_records_consumed_total{topic="${topic}",result="dead_lettered",service="consumer-loop-test"} 2`,
    );
    await stopConsumer(consumer);
  });

  it("commits only after the handler resolved: a batch whose handler failed is delivered again, not lost", async () => {
    const { topic, groupId } = await freshTopic();
    const counts = `${namespace}:counts:{${topic}}`;
    const fence = new OffsetFence(redis, (t, p) => `${namespace}:fence:{${t}}:${p}`);
    await producer.send({
      topic,
      messages: [0, 1, 2].map((i) => ({ key: "s", value: reading("s", i) })),
    });
    const attempts: string[][] = [];
    const committedDuringAttempts: string[] = [];
    let failNext = true;
    let releaseFirst: () => void = () => {};
    const firstMayFinish = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    await start(topic, groupId, async (batch) => {
      attempts.push(batch.records.map((record) => record.offset));
      committedDuringAttempts.push(await committed(groupId, topic));
      // Effects stored as a detector does: with the fence, in one Redis script.
      await applyFenced(fence, batch, async (fresh) =>
        fresh.map((record): FencedCommand => ["HINCRBY", counts, record.offset, 1]),
      );
      if (failNext) {
        failNext = false;
        await firstMayFinish;
        // The process "crashes" after storing the effects and before the commit.
        throw new Error("redis write timed out (simulated)");
      }
    });

    await waitFor("the first attempt", () => attempts.length >= 1 || undefined);
    // While the handler has not returned, nothing is committed (the redelivery below proves it stays so).
    expect(await committed(groupId, topic)).toBe("-1");
    releaseFirst();

    await waitFor("a second delivery", () => attempts.length >= 2 || undefined);
    await waitFor("the commit", async () => ((await committed(groupId, topic)) === "3" ? true : undefined));
    expect(attempts[0]).toEqual(["0", "1", "2"]);
    // The same records came again after the failure.
    expect(attempts[1]).toEqual(["0", "1", "2"]);
    expect(committedDuringAttempts.slice(0, 2)).toEqual(["-1", "-1"]);
    // And thanks to the fence their effects were stored once.
    expect(await redis.hgetall(counts)).toEqual({ "0": "1", "1": "1", "2": "1" });
  });

  it("stop() during a batch lets it finish and commits it, so the group's next member starts after it", async () => {
    const { topic, groupId } = await freshTopic();
    await producer.send({ topic, messages: [0, 1, 2, 3].map((i) => ({ key: "s", value: reading("s", i) })) });
    let entered = false;
    let finished = false;
    let release: () => void = () => {};
    const mayFinish = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = await start(topic, groupId, async (batch) => {
      expect(batch.records.map((record) => record.offset)).toEqual(["0", "1", "2", "3"]);
      entered = true;
      await mayFinish;
      finished = true;
    });
    await waitFor("the batch in hand", () => entered || undefined);

    let stopReturned = false;
    const stopped = first.stop().then(() => {
      stopReturned = true;
    });
    // stop() waits for the handler: it cannot return while the batch is in hand.
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopReturned).toBe(false);
    release();
    await stopped;
    running.splice(running.indexOf(first), 1);
    expect(finished).toBe(true);
    expect(await committed(groupId, topic)).toBe("4");

    // A new member of the same group starts after the committed batch: it only sees what came after.
    await producer.send({ topic, messages: [{ key: "s", value: reading("s", 99) }] });
    const seen: string[] = [];
    const second = await start(topic, groupId, async (batch) => {
      seen.push(...batch.records.map((record) => record.offset));
    });
    await waitFor("the record after the batch", () => seen.includes("4") || undefined);
    expect(seen).toEqual(["4"]);
    await stopConsumer(second);
  });

  /** Effects stored as a detector stores them: with the offset fence, in one Redis script. */
  function fencedCounter(topic: string) {
    const counts = `${namespace}:counts:{${topic}}`;
    const fence = new OffsetFence(redis, (t, p) => `${namespace}:fence:{${t}}:${p}`);
    return {
      store: (batch: RecordBatch<Reading>, records = batch.records) =>
        applyFenced(fence, { ...batch, records }, async (fresh) =>
          fresh.map((record): FencedCommand => ["HINCRBY", counts, String(record.value.value), 1]),
        ),
      stored: async () =>
        Object.keys(await redis.hgetall(counts))
          .map(Number)
          .sort((a, b) => a - b),
    };
  }

  it("dead-letters the record that breaks the handler, stores every other record's effects and goes on", async () => {
    const { topic, groupId } = await freshTopic();
    await producer.send({
      topic,
      messages: Array.from({ length: 20 }, (_, i) => ({
        key: `s-${i % 3}`,
        value: reading(`s-${i % 3}`, i),
      })),
    });
    const counter = fencedCounter(topic);
    const metrics = createMetrics("consumer-loop-test");
    await start(
      topic,
      groupId,
      async (batch) => {
        // A detector that cannot cope with one reading's shape, whatever batch it comes in.
        if (batch.records.some((record) => record.value.value === 13))
          throw new RangeError("reading 13 is out of range");
        await counter.store(batch);
      },
      metrics,
      { handlerRetry: { attempts: 2, backoffMs: 10 } },
    );

    await deadLetters.waitUntil(() => deadLettersFrom(topic).length >= 1, 60_000, "the dead letter");
    const [letter] = deadLettersFrom(topic);
    expect(letter?.sourceOffset).toBe(13);
    expect(letter?.reason).toBe("handler failed: RangeError: reading 13 is out of range");
    expect(Buffer.from(letter?.originalValue ?? []).toString()).toBe(reading("s-1", 13).toString());
    await waitFor("the commit of the chunk", async () =>
      (await committed(groupId, topic)) === "20" ? true : undefined,
    );
    expect(await counter.stored()).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 13));

    // The partition is not stuck: later records are consumed as usual.
    await producer.send({ topic, messages: [20, 21].map((i) => ({ key: "s-0", value: reading("s-0", i) })) });
    await waitFor("the later records", async () =>
      (await counter.stored()).includes(21) ? true : undefined,
    );
    expect(deadLettersFrom(topic)).toHaveLength(1);
    const consumed = await metrics.registry.getSingleMetricAsString("argus_records_consumed_total");
    expect(consumed).toContain(
      `argus_records_consumed_total{topic="${topic}",result="dead_lettered",service="consumer-loop-test"} 1`,
    );
    expect(consumed).toContain(
      `argus_records_consumed_total{topic="${topic}",result="accepted",service="consumer-loop-test"} 21`,
    );
  });

  it("publishes what the handler dead-letters with batch.deadLetter before the others' effects are stored", async () => {
    const { topic, groupId } = await freshTopic();
    await producer.send({
      topic,
      messages: [1, 2, -3, 4].map((i) => ({ key: "s", value: reading("s", i), headers: { n: String(i) } })),
    });
    const counter = fencedCounter(topic);
    const metrics = createMetrics("consumer-loop-test");
    let lettersWhenStored = -1;
    await start(
      topic,
      groupId,
      async (batch) => {
        const negative = batch.records.filter((record) => record.value.value < 0);
        await batch.deadLetter(
          negative.map((record) => ({ record, reason: 'detector "resources" failed: negative reading' })),
        );
        lettersWhenStored = (await admin.fetchTopicOffsets(deadLetterTopic)).reduce(
          (sum, partition) => sum + Number(partition.high),
          0,
        );
        await counter.store(
          batch,
          batch.records.filter((record) => !negative.includes(record)),
        );
      },
      metrics,
    );

    await deadLetters.waitUntil(() => deadLettersFrom(topic).length >= 1, 30_000, "the dead letter");
    const [letter] = deadLettersFrom(topic);
    expect(letter).toEqual(
      expect.objectContaining({
        sourceOffset: 2,
        reason: 'detector "resources" failed: negative reading',
        consumerGroup: groupId,
        originalHeaders: { n: "-3" },
        truncated: false,
      }),
    );
    expect(Buffer.from(letter?.originalValue ?? []).equals(reading("s", -3))).toBe(true);
    await waitFor("the commit", async () => ((await committed(groupId, topic)) === "4" ? true : undefined));
    expect(await counter.stored()).toEqual([1, 2, 4]);
    // The dead letter was on its topic (acks=all) before the handler stored anything.
    expect(lettersWhenStored).toBeGreaterThan(0);
    const consumed = await metrics.registry.getSingleMetricAsString("argus_records_consumed_total");
    expect(consumed).toContain(
      `argus_records_consumed_total{topic="${topic}",result="dead_lettered",service="consumer-loop-test"} 1`,
    );
    expect(consumed).toContain(
      `argus_records_consumed_total{topic="${topic}",result="accepted",service="consumer-loop-test"} 3`,
    );
  });

  it("reports a consumer that crashed for good, and never dead-letters records during an outage", async () => {
    const { topic, groupId } = await freshTopic();
    await producer.send({ topic, messages: [{ key: "s", value: reading("s", 1) }] });
    const reasons: string[] = [];
    const consumer = await start(
      topic,
      groupId,
      async () => {
        throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
      },
      createMetrics("consumer-loop-test"),
      {
        handlerRetry: { attempts: 2, backoffMs: 10 },
        kafkaRetry: { retries: 1, initialRetryTime: 50, restarts: 1 },
        onStoppedForGood: (reason) => reasons.push(reason),
      },
    );

    await waitFor("the consumer to give up", () => (reasons.length > 0 ? true : undefined), 60_000);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^crashed without restart: .*ECONNREFUSED/);
    expect(consumer.healthy()).toBe(false);
    expect(consumer.failure()).toBe(reasons[0]);
    expect(await committed(groupId, topic)).toBe("-1");
    expect(deadLettersFrom(topic)).toEqual([]);
  });

  it("reports a consumer stopped from outside the loop", async () => {
    const { topic, groupId } = await freshTopic();
    const seen: string[] = [];
    const reasons: string[] = [];
    const consumer = await start(
      topic,
      groupId,
      async (batch) => {
        seen.push(...batch.records.map((record) => record.offset));
      },
      createMetrics("consumer-loop-test"),
      { onStoppedForGood: (reason) => reasons.push(reason) },
    );
    await producer.send({ topic, messages: [{ key: "s", value: reading("s", 1) }] });
    await waitFor("the first record", () => (seen.length > 0 ? true : undefined));
    expect(consumer.healthy()).toBe(true);

    await consumer.consumer.stop();
    await waitFor("the stop to be noticed", () => (reasons.length > 0 ? true : undefined));
    expect(reasons).toEqual(["the consumer stopped although stop() was not called"]);
    expect(consumer.healthy()).toBe(false);
  });

  it("dead-letters a ~1 MB undecodable record within the dead-letter topic's limits", async () => {
    // The source topic takes records up to 2 MiB; the dead-letter topic has the broker's default.
    const { topic, groupId } = await freshTopic([
      { name: "max.message.bytes", value: String(2 * 1024 * 1024) },
    ]);
    const huge = randomBytes(1024 * 1024 - 512);
    huge[0] = 0x00; // not "{"
    await producer.send({
      topic,
      messages: [
        { key: "big", value: huge },
        { key: "s", value: reading("s", 7) },
      ],
    });
    const handled: number[] = [];
    await start(topic, groupId, async (batch) => {
      handled.push(...batch.records.map((record) => record.value.value));
    });

    await deadLetters.waitUntil(() => deadLettersFrom(topic).length >= 1, 60_000, "the dead letter");
    const [letter] = deadLettersFrom(topic);
    expect(letter?.truncated).toBe(true);
    expect(letter?.originalSize).toBe(huge.length);
    expect(Buffer.from(letter?.originalSha256 ?? []).equals(createHash("sha256").update(huge).digest())).toBe(
      true,
    );
    const kept = Buffer.from(letter?.originalValue ?? []);
    expect(kept.length).toBeGreaterThan(800 * 1024);
    expect(kept.equals(huge.subarray(0, kept.length))).toBe(true);
    expect(letter?.reason).toMatch(/^not JSON: /);
    await waitFor("the commit", async () => ((await committed(groupId, topic)) === "2" ? true : undefined));
    expect(handled).toEqual([7]);
  });

  it("dead-letters an oversized record at the smallest bound when the dead-letter topic takes less than the default", async () => {
    const { topic, groupId } = await freshTopic([
      { name: "max.message.bytes", value: String(2 * 1024 * 1024) },
    ]);
    // An operator lowered the dead-letter topic's limit below the publisher's 900 KiB bound.
    const smallDeadLetterTopic = `${namespace}.small-deadletter-${testIndex}`;
    await ensureTopics(kafka, [
      {
        topic: smallDeadLetterTopic,
        numPartitions: 1,
        replicationFactor: 1,
        configEntries: [{ name: "max.message.bytes", value: String(64 * 1024) }],
      },
    ]);
    const smallDeadLetters = await collectTopic(brokers, smallDeadLetterTopic);
    try {
      const big = randomBytes(512 * 1024);
      big[0] = 0x00; // not "{"
      await producer.send({
        topic,
        messages: [
          { key: "big", value: big },
          { key: "s", value: reading("s", 8) },
        ],
      });
      const handled: number[] = [];
      await start(
        topic,
        groupId,
        async (batch) => {
          handled.push(...batch.records.map((record) => record.value.value));
        },
        createMetrics("consumer-loop-test"),
        { deadLetters: new DeadLetterPublisher(producer, smallDeadLetterTopic, groupId) },
      );

      const [message] = await smallDeadLetters.waitUntil(
        (messages) => messages.length >= 1,
        60_000,
        "the dead letter",
      );
      const letter = DeadLetter.decode(message?.value ?? Buffer.alloc(0));
      expect(letter.sourceTopic).toBe(topic);
      expect(letter.sourceOffset).toBe(0);
      expect(letter.truncated).toBe(true);
      expect(letter.originalSize).toBe(big.length);
      expect(Buffer.from(letter.originalSha256).equals(createHash("sha256").update(big).digest())).toBe(true);
      const kept = Buffer.from(letter.originalValue);
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThan(MIN_DEAD_LETTER_MAX_BYTES);
      expect(kept.equals(big.subarray(0, kept.length))).toBe(true);
      expect(letter.reason).toMatch(/^not JSON: /);
      await waitFor("the commit", async () => ((await committed(groupId, topic)) === "2" ? true : undefined));
      expect(handled).toEqual([8]);
    } finally {
      await smallDeadLetters.stop();
    }
  });
});
