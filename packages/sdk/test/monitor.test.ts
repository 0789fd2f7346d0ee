import { randomBytes } from "node:crypto";
import { InferenceEvent } from "@argus/proto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type ArgusSdkError,
  createMonitor,
  createPseudonymizer,
  type MonitorOptions,
  type OutgoingMessage,
  type RecordInput,
} from "../src/index.js";
import { FakeProducer } from "./fake-producer.js";

const keys = { k1: randomBytes(32), k2: randomBytes(32) };
const RAW_CLIENT = "alice@example.com";

type Tuning = Pick<
  MonitorOptions,
  | "batchSize"
  | "lingerMs"
  | "maxBufferedEvents"
  | "maxBatchBytes"
  | "recordTimeoutMs"
  | "whenFull"
  | "meter"
  | "retryBackoffMs"
  | "piiFeatures"
  | "topic"
>;

function setup(tuning: Tuning = {}, activeKeyId = "k1") {
  const producer = new FakeProducer();
  const errors: ArgusSdkError[] = [];
  const monitor = createMonitor({
    producer,
    modelId: "fraud-scorer",
    modelVersion: "3.1.0",
    tenant: "acme",
    pseudonymization: { keys, activeKeyId },
    onError: (error) => errors.push(error),
    ...tuning,
  });
  return { producer, monitor, errors };
}

function event(n = 0, clientId = RAW_CLIENT): RecordInput {
  return { clientId, requestId: `req-${n}`, features: { amount: n }, output: { regression: n / 10 } };
}

const decode = (message: OutgoingMessage | undefined): InferenceEvent => {
  if (!message || !Buffer.isBuffer(message.value)) throw new Error("no binary message");
  return InferenceEvent.decode(message.value);
};

/** Kafka answers again: the request ids delivered after the `failedCalls` failed sends, in order. */
async function deliveredAfterKafkaReturns(
  producer: FakeProducer,
  monitor: ReturnType<typeof createMonitor>,
  records: Promise<unknown>[],
  failedCalls: number,
): Promise<string[]> {
  producer.behaviour = "ack";
  await vi.advanceTimersByTimeAsync(30_000);
  await Promise.all(records);
  await monitor.flush();
  return producer.calls.slice(failedCalls).flatMap((c) => c.record.messages.map((m) => decode(m).requestId));
}

/** Lets pending promise callbacks run (fake timers are on, so no timer fires). */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2030-01-02T03:04:05.678Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the event on the wire", () => {
  it("encodes every feature and output kind, with the pseudonymized client id and its key id", async () => {
    const { producer, monitor } = setup();
    await monitor.record({
      clientId: RAW_CLIENT,
      requestId: "req-1",
      features: { amount: 12.5, country: "FR", note: { text: "hello" }, emb: [0.25, -1, 3] },
      output: { label: "fraud", scores: { fraud: 0.9, ok: 0.1 } },
      latencyMs: 7.5,
      inputTokens: 11,
      outputTokens: 3,
    });
    await monitor.record({ ...event(2), output: { generatedText: "a poem" } });
    await monitor.flush();

    const [first, second] = producer.messages;
    const decoded = decode(first);
    const expected = createPseudonymizer({ keys, activeKeyId: "k1" }).pseudonymize(RAW_CLIENT);
    expect(decoded).toMatchObject({
      modelId: "fraud-scorer",
      modelVersion: "3.1.0",
      tenant: "acme",
      requestId: "req-1",
      clientId: expected.id,
      clientIdKeyId: "k1",
      eventTime: new Date("2030-01-02T03:04:05.678Z"),
      latencyMs: 7.5,
      inputTokens: 11,
      outputTokens: 3,
      output: {
        kind: { $case: "classification", value: { label: "fraud", scores: { fraud: 0.9, ok: 0.1 } } },
      },
    });
    expect(decoded.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(decoded.features).toEqual({
      amount: { kind: { $case: "number", value: 12.5 } },
      country: { kind: { $case: "category", value: "FR" } },
      note: { kind: { $case: "text", value: "hello" } },
      emb: { kind: { $case: "embedding", value: { values: [0.25, -1, 3] } } },
    });
    expect(decode(second).output).toEqual({ kind: { $case: "generatedText", value: "a poem" } });

    // Keyed by the pseudonym (one client, one partition), typed by headers.
    expect(first?.key).toBe(expected.id);
    expect(first?.headers).toMatchObject({
      "content-type": "application/x-protobuf",
      "argus-schema": "argus.v1.InferenceEvent",
    });
    expect(producer.calls[0]?.record).toMatchObject({ topic: "argus.inference.v1", acks: -1 });
  });

  it("never lets the raw client id (or a declared PII feature) leave the process", async () => {
    const { producer, monitor } = setup({ piiFeatures: ["email"] });
    await monitor.record({ ...event(), features: { email: "bob@example.org", amount: 1 } });
    await monitor.flush();
    const [message] = producer.messages;
    const wire = JSON.stringify(message) + Buffer.from(message?.value ?? "").toString("latin1");
    expect(wire).not.toContain(RAW_CLIENT);
    expect(wire).not.toContain("bob@example.org");
    const email = decode(message).features.email?.kind;
    expect(email?.$case).toBe("category");
    expect(email?.value).toBe(
      createPseudonymizer({ keys, activeKeyId: "k1" }).pseudonymize("bob@example.org").id,
    );
  });

  it("carries the key id, so events made before and after a key rotation can be told apart", async () => {
    const before = setup({}, "k1");
    const after = setup({}, "k2");
    await before.monitor.record(event());
    await after.monitor.record(event());
    await Promise.all([before.monitor.flush(), after.monitor.flush()]);
    const a = decode(before.producer.messages[0]);
    const b = decode(after.producer.messages[0]);
    expect([a.clientIdKeyId, b.clientIdKeyId]).toEqual(["k1", "k2"]);
    expect(a.clientId).not.toBe(b.clientId);
  });

  it.each<[string, Partial<RecordInput> & Record<string, unknown>, RegExp]>([
    ["an empty client id", { clientId: "" }, /clientId/],
    ["a NaN feature", { features: { x: Number.NaN } }, /feature "x" must be a finite number/],
    ["an unsupported feature", { features: { x: true as unknown as number } }, /feature "x" must be/],
    ["two output kinds", { output: { label: "a", regression: 1 } as never }, /exactly one of/],
    ["negative tokens", { inputTokens: -1 }, /inputTokens/],
    ["a non-UUID event id", { eventId: "42" }, /eventId must be a UUID/],
    ["a float64-only embedding value", { features: { e: [1e300] } }, /float32/],
  ])("rejects %s with INVALID_EVENT and buffers nothing", async (_, patch, message) => {
    const { monitor } = setup();
    const result = monitor.record({ ...event(), ...patch } as RecordInput);
    await expect(result).rejects.toMatchObject({
      code: "INVALID_EVENT",
      message: expect.stringMatching(message),
    });
    expect(monitor.stats()).toMatchObject({ buffered: 0, recorded: 0 });
  });

  it("rejects an event larger than maxBatchBytes", async () => {
    const { monitor } = setup({ maxBatchBytes: 1_000 });
    await expect(
      monitor.record({ ...event(), features: { t: { text: "x".repeat(2_000) } } }),
    ).rejects.toThrow(/more than maxBatchBytes/);
  });
});

describe("batching", () => {
  it("sends as soon as batchSize events wait, in one send", async () => {
    const { producer, monitor } = setup({ batchSize: 3, lingerMs: 10_000 });
    for (let i = 0; i < 5; i++) await monitor.record(event(i));
    await settle();
    expect(producer.calls).toHaveLength(1);
    expect(producer.calls[0]?.record.messages.map((m) => decode(m).requestId)).toEqual([
      "req-0",
      "req-1",
      "req-2",
    ]);
    expect(monitor.stats()).toMatchObject({ buffered: 2, sent: 3 });
  });

  it("sends a partial batch after lingerMs", async () => {
    const { producer, monitor } = setup({ batchSize: 100, lingerMs: 50 });
    await monitor.record(event(1));
    await vi.advanceTimersByTimeAsync(30);
    await monitor.record(event(2));
    await vi.advanceTimersByTimeAsync(19);
    expect(producer.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(producer.calls).toHaveLength(1);
    expect(producer.messages).toHaveLength(2);
    expect(monitor.stats()).toMatchObject({ buffered: 0, sent: 2 });
    expect(vi.getTimerCount()).toBe(0); // nothing left scheduled once the buffer is empty
  });

  it("flush() sends everything in order, in batches of at most batchSize", async () => {
    const { producer, monitor } = setup({ batchSize: 3, lingerMs: 10_000 });
    producer.behaviour = "hang";
    for (let i = 0; i < 7; i++) await monitor.record(event(i));
    producer.behaviour = "ack";
    const flushed = monitor.flush();
    producer.calls[0]?.resolve();
    await flushed;
    expect(producer.calls.map((c) => c.record.messages.length)).toEqual([3, 3, 1]);
    expect(producer.messages.map((m) => decode(m).requestId)).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((i) => `req-${i}`),
    );
  });

  it("splits batches so that one send stays under maxBatchBytes", async () => {
    const { producer, monitor } = setup({ batchSize: 100, maxBatchBytes: 2_000 });
    for (let i = 0; i < 10; i++)
      await monitor.record({ ...event(i), features: { t: { text: "y".repeat(500) } } });
    await monitor.flush();
    expect(producer.messages).toHaveLength(10);
    for (const call of producer.calls) {
      const bytes = call.record.messages.reduce((sum, m) => sum + (m.value as Buffer).length, 0);
      expect(bytes).toBeLessThanOrEqual(2_000);
    }
    expect(producer.calls.length).toBeGreaterThan(1);
  });
});

describe("backpressure", () => {
  it("keeps record() pending beyond maxBufferedEvents while Kafka does not answer, and never buffers more", async () => {
    const { producer, monitor } = setup({
      batchSize: 2,
      lingerMs: 10,
      maxBufferedEvents: 4,
      whenFull: "wait",
    });
    producer.behaviour = "hang";
    for (let i = 0; i < 4; i++) await monitor.record(event(i));
    const settled: number[] = [];
    const blocked = [4, 5, 6].map((i) => monitor.record(event(i)).then(() => settled.push(i)));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(settled).toEqual([]);
    expect(producer.calls).toHaveLength(1); // one send at a time, and it hangs
    expect(monitor.stats()).toMatchObject({ buffered: 4, inFlight: 2, waiting: 3, recorded: 4 });

    // The hanging send completes: its 2 slots go to the first 2 waiters, in order.
    producer.calls[0]?.resolve();
    await settle();
    expect(settled).toEqual([4, 5]);
    expect(monitor.stats().buffered).toBeLessThanOrEqual(4);

    producer.behaviour = "ack";
    producer.calls[1]?.resolve();
    await Promise.all(blocked);
    await monitor.flush();
    expect(producer.messages.map((m) => decode(m).requestId)).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((i) => `req-${i}`),
    );
  });

  it("rejects a waiting record() after recordTimeoutMs, with a clear error", async () => {
    const { producer, monitor } = setup({
      batchSize: 1,
      maxBufferedEvents: 2,
      recordTimeoutMs: 5_000,
      whenFull: "wait",
    });
    producer.behaviour = "hang";
    await monitor.record(event(1));
    await monitor.record(event(2));
    const waiting = monitor.record(event(3));
    const outcome = expect(waiting).rejects.toMatchObject({
      code: "RECORD_TIMEOUT",
      message: expect.stringMatching(/waited 5000 ms for buffer space: 2 events are buffered/),
    });
    await vi.advanceTimersByTimeAsync(5_000);
    await outcome;
    expect(monitor.stats()).toMatchObject({ buffered: 2, waiting: 0, recordTimeouts: 1 });
  });
});

describe("send failures", () => {
  it("keeps the events, reports the error and sends the same events again after the backoff", async () => {
    const { producer, monitor, errors } = setup({ batchSize: 2, retryBackoffMs: 1_000 });
    producer.next = ["fail"];
    await monitor.record(event(1));
    await monitor.record(event(2));
    await settle();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "SEND_FAILED", events: 2 });
    expect(errors[0]?.message).toMatch(/broker unreachable.*2 events stay buffered/);
    expect(monitor.stats()).toMatchObject({ buffered: 2, sent: 0, failedSends: 1 });

    await monitor.record(event(3));
    await vi.advanceTimersByTimeAsync(999);
    expect(producer.calls).toHaveLength(1); // waits for the backoff even though a batch is full
    await vi.advanceTimersByTimeAsync(1);
    await monitor.flush();
    const [failed, retried] = producer.calls;
    expect(retried?.record.messages.slice(0, 2)).toEqual(failed?.record.messages); // same bytes, same event ids
    expect(producer.messages.slice(2).map((m) => decode(m).requestId)).toEqual(["req-1", "req-2", "req-3"]);
    expect(monitor.stats()).toMatchObject({ buffered: 0, sent: 3, lastError: undefined });
  });

  it("flush() rejects while Kafka fails and succeeds later with the kept events", async () => {
    const { producer, monitor } = setup();
    producer.behaviour = "fail";
    await monitor.record(event(1));
    await expect(monitor.flush()).rejects.toMatchObject({ code: "SEND_FAILED" });
    expect(monitor.stats().buffered).toBe(1);
    producer.behaviour = "ack";
    await monitor.flush();
    expect(monitor.stats()).toMatchObject({ buffered: 0, sent: 1 });
  });

  it("by default never makes inference wait: with Kafka down a full buffer drops, counts and exports the rest", async () => {
    const added: { value: number; attributes: unknown }[] = [];
    const meter = {
      createCounter: () => ({
        add: (value: number, attributes: unknown) => added.push({ value, attributes }),
      }),
    } as unknown as NonNullable<MonitorOptions["meter"]>;
    const { producer, monitor, errors } = setup({ batchSize: 5, lingerMs: 10, maxBufferedEvents: 10, meter });
    producer.behaviour = "fail";
    const settled: number[] = [];
    const results = Array.from({ length: 25 }, (_, i) =>
      monitor.record(event(i)).then(() => settled.push(i)),
    );
    await settle();
    // Every call resolved without waiting for Kafka.
    expect(settled).toHaveLength(25);
    expect(monitor.stats()).toMatchObject({ buffered: 10, waiting: 0, dropped: 15, sent: 0 });
    expect(added).toHaveLength(15);
    expect(added[0]).toEqual({
      value: 1,
      attributes: { "argus.model.id": "fraud-scorer", "argus.model.version": "3.1.0" },
    });
    // Kafka comes back: the buffered ten are delivered, in order.
    const delivered = await deliveredAfterKafkaReturns(producer, monitor, results, errors.length);
    expect(delivered).toEqual(Array.from({ length: 10 }, (_, i) => `req-${i}`));
  });

  it('with whenFull "wait" and Kafka down, stays bounded: a full buffer makes record() wait instead of growing', async () => {
    const { producer, monitor, errors } = setup({
      batchSize: 5,
      lingerMs: 10,
      maxBufferedEvents: 10,
      whenFull: "wait",
    });
    producer.behaviour = "fail";
    const results = Array.from({ length: 25 }, (_, i) => monitor.record(event(i)));
    await vi.advanceTimersByTimeAsync(120_000);
    expect(monitor.stats()).toMatchObject({ buffered: 10, waiting: 15, sent: 0 });
    expect(errors.length).toBeGreaterThan(1);
    // Kafka comes back: everything is delivered, in order, nothing lost.
    const delivered = await deliveredAfterKafkaReturns(producer, monitor, results, errors.length);
    expect(delivered).toEqual(Array.from({ length: 25 }, (_, i) => `req-${i}`));
  });
});

describe("close", () => {
  it("delivers buffered events before the linger time, then refuses new events", async () => {
    const { producer, monitor } = setup({ lingerMs: 60_000 });
    await monitor.record(event(1));
    await monitor.record(event(2));
    const closing = monitor.close();
    expect(monitor.close()).toBe(closing);
    await closing;
    expect(producer.messages).toHaveLength(2);
    expect(producer.disconnects).toBe(0); // an injected producer belongs to the caller
    await expect(monitor.record(event(3))).rejects.toMatchObject({ code: "CLOSED" });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("also delivers the record() calls that were waiting for space", async () => {
    const { producer, monitor } = setup({ batchSize: 2, maxBufferedEvents: 2, whenFull: "wait" });
    producer.behaviour = "hang";
    await monitor.record(event(1));
    await monitor.record(event(2));
    const waiting = monitor.record(event(3));
    producer.behaviour = "ack";
    const closing = monitor.close();
    producer.calls[0]?.resolve();
    await Promise.all([closing, waiting]);
    expect(producer.messages.map((m) => decode(m).requestId)).toEqual(["req-1", "req-2", "req-3"]);
  });

  it("rejects with CLOSE_INCOMPLETE and the number of undelivered events when Kafka stays down", async () => {
    const { producer, monitor } = setup();
    producer.behaviour = "fail";
    await monitor.record(event(1));
    await monitor.record(event(2));
    await expect(monitor.close()).rejects.toMatchObject({ code: "CLOSE_INCOMPLETE", events: 2 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("closes cleanly a monitor with its own producer that never had to connect (connection is lazy)", async () => {
    const monitor = createMonitor({
      kafka: { brokers: ["127.0.0.1:1"], logLevel: "nothing" },
      modelId: "m",
      modelVersion: "1",
      pseudonymization: { keys, activeKeyId: "k1" },
    });
    await expect(monitor.close()).resolves.toBeUndefined();
  });
});

describe("options", () => {
  it("rejects inconsistent options", () => {
    const base = { modelId: "m", modelVersion: "1", pseudonymization: { keys, activeKeyId: "k1" } };
    expect(() => createMonitor({ ...base } as unknown as MonitorOptions)).toThrow(/exactly one of `kafka`/);
    expect(() => createMonitor({ ...base, producer: new FakeProducer(), batchSize: 0 })).toThrow(/batchSize/);
    expect(() => createMonitor({ ...base, producer: new FakeProducer(), modelId: "" })).toThrow(/modelId/);
    // Ids the detectors would dead-letter are refused here, where the producer can still fix them.
    expect(() => createMonitor({ ...base, producer: new FakeProducer(), modelId: "m".repeat(257) })).toThrow(
      /modelId must be 1-256 characters/,
    );
    expect(() => createMonitor({ ...base, producer: new FakeProducer(), tenant: "t".repeat(129) })).toThrow(
      /tenant must be at most 128 characters/,
    );
    expect(() =>
      createMonitor({ ...base, producer: new FakeProducer(), modelId: "org/fraud-v2@eu" }),
    ).not.toThrow();
    expect(() =>
      createMonitor({
        ...base,
        producer: new FakeProducer(),
        pseudonymization: { keys: { k: "short" }, activeKeyId: "k" },
      }),
    ).toThrow(/key "k" is 5 bytes/);
  });

  it("accepts a shared pseudonymizer", async () => {
    const pseudonymizer = createPseudonymizer({ keys, activeKeyId: "k2" });
    const producer = new FakeProducer();
    const monitor = createMonitor({
      producer,
      modelId: "m",
      modelVersion: "1",
      pseudonymization: pseudonymizer,
    });
    await monitor.record(event());
    await monitor.flush();
    expect(decode(producer.messages[0]).clientId).toBe(pseudonymizer.pseudonymize(RAW_CLIENT).id);
  });
});
