import { describe, expect, it } from "vitest";
import {
  type ChunkHandling,
  type ConsumedRecord,
  handleChunk,
  isInfrastructureError,
  type RecordBatch,
  type RecordFailure,
} from "../src/consumer-loop.js";
import { createLogger } from "../src/logger.js";
import { ROOT_CONTEXT } from "../src/tracing.js";

const logger = createLogger("consumer-loop-unit", "silent");

function records(values: string[], firstOffset = 10): ConsumedRecord<string>[] {
  return values.map((value, index) => ({
    topic: "in",
    partition: 0,
    offset: String(firstOffset + index),
    key: Buffer.from(`k-${index}`),
    value,
    raw: Buffer.from(value),
    headers: {},
    timestamp: "0",
    traceContext: ROOT_CONTEXT,
  }));
}

/**
 * A handler that stores a batch's effects all or nothing, as a fenced Redis script does, and
 * throws a RangeError on any batch holding a "poison" record.
 */
function fakeStore(failure: (batch: RecordBatch<string>) => Error | undefined) {
  const stored = new Map<string, string>();
  const calls: { offsets: string[]; lastOffset: string }[] = [];
  const handle = async (batch: RecordBatch<string>) => {
    calls.push({ offsets: batch.records.map((record) => record.offset), lastOffset: batch.lastOffset });
    const error = failure(batch);
    if (error) throw error;
    for (const record of batch.records) stored.set(record.offset, record.value);
  };
  return { stored, calls, handle };
}

const poisonFails = (batch: RecordBatch<string>) =>
  batch.records.some((record) => record.value.startsWith("poison"))
    ? new RangeError("offset is out of bounds")
    : undefined;

function chunk(
  input: ConsumedRecord<string>[],
  handle: (batch: RecordBatch<string>) => Promise<void>,
  overrides: Partial<ChunkHandling<string>> = {},
) {
  const deadLettered: RecordFailure<string>[] = [];
  const run = handleChunk<string>({
    records: input,
    lastOffset: String(Number(input.at(-1)?.offset ?? 0) + 2),
    handle,
    deadLetter: async (failures) => {
      deadLettered.push(...failures);
    },
    retry: { attempts: 3, backoffMs: 1 },
    isInfrastructureError,
    dependenciesAnswer: async () => true,
    stillOurs: () => true,
    heartbeat: async () => {},
    logger,
    sleep: async () => {},
    ...overrides,
  });
  return { run, deadLettered };
}

describe("handleChunk", () => {
  it("dead-letters the one record that breaks the handler and stores every other record's effects", async () => {
    const input = records(["a", "b", "c", "poison-d", "e", "f", "g", "h", "i", "j"]);
    const store = fakeStore(poisonFails);
    const { run, deadLettered } = chunk(input, store.handle);
    await run;

    expect(deadLettered.map(({ record, reason }) => [record.offset, reason])).toEqual([
      ["13", "handler failed: RangeError: offset is out of bounds"],
    ]);
    expect([...store.stored.keys()].sort()).toEqual(
      input.filter((record) => record.value !== "poison-d").map((record) => record.offset),
    );
    // Parts come in offset order with their own last offset; the last part covers the chunk's end.
    const successful = store.calls.filter((call) => !call.offsets.includes("13"));
    const lastOffsets = successful.map((call) => Number(call.lastOffset));
    expect(lastOffsets).toEqual([...lastOffsets].sort((a, b) => a - b));
    expect(successful.at(-1)?.lastOffset).toBe("21");
    for (const call of successful.slice(0, -1)) expect(call.lastOffset).toBe(call.offsets.at(-1));
  });

  it("finds several breaking records, in offset order", async () => {
    const input = records(["poison-a", "b", "c", "d", "e", "f", "poison-g"]);
    const store = fakeStore(poisonFails);
    const { run, deadLettered } = chunk(input, store.handle);
    await run;
    expect(deadLettered.map(({ record }) => record.value)).toEqual(["poison-a", "poison-g"]);
    expect([...store.stored.values()]).toEqual(["b", "c", "d", "e", "f"]);
  });

  it("retries a passing failure and dead-letters nothing", async () => {
    const input = records(["a", "b", "c"]);
    let failures = 2;
    const store = fakeStore(() => (failures-- > 0 ? new Error("script failed") : undefined));
    const { run, deadLettered } = chunk(input, store.handle);
    await run;
    expect(deadLettered).toEqual([]);
    expect(store.calls).toHaveLength(3);
    expect([...store.stored.values()]).toEqual(["a", "b", "c"]);
  });

  it("never dead-letters on an infrastructure error: it throws after the retries", async () => {
    const input = records(["a", "poison-b"]);
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
    const store = fakeStore(() => refused);
    const { run, deadLettered } = chunk(input, store.handle);
    await expect(run).rejects.toBe(refused);
    expect(deadLettered).toEqual([]);
    expect(store.calls).toHaveLength(3);
  });

  it("never dead-letters while the dependencies do not answer, whatever the error says", async () => {
    const store = fakeStore(poisonFails);
    const { run, deadLettered } = chunk(records(["poison-a", "b"]), store.handle, {
      dependenciesAnswer: async () => false,
    });
    await expect(run).rejects.toThrow("offset is out of bounds");
    expect(deadLettered).toEqual([]);
    expect(store.stored.size).toBe(0);
  });

  it("stops looking when an infrastructure error comes up while bisecting", async () => {
    let calls = 0;
    const store = fakeStore((batch) => {
      calls++;
      if (calls > 3) return new Error("Connection is closed.");
      return poisonFails(batch);
    });
    const { run, deadLettered } = chunk(records(["a", "poison-b", "c", "d"]), store.handle);
    await expect(run).rejects.toThrow("Connection is closed.");
    expect(deadLettered).toEqual([]);
  });

  it("dead-letters nothing once the consumer is stopping or lost the partition", async () => {
    const store = fakeStore(poisonFails);
    const { run, deadLettered } = chunk(records(["poison-a", "b"]), store.handle, { stillOurs: () => false });
    await expect(run).rejects.toThrow("offset is out of bounds");
    expect(deadLettered).toEqual([]);
  });

  it("throws when the handler fails on a chunk without records: no record is to blame", async () => {
    const { run, deadLettered } = chunk([], async () => {
      throw new TypeError("broken handler");
    });
    await expect(run).rejects.toThrow("broken handler");
    expect(deadLettered).toEqual([]);
  });

  it("hands the handler's own dead letters through batch.deadLetter", async () => {
    const input = records(["a", "weird-b", "c"]);
    const stored: string[] = [];
    const { run, deadLettered } = chunk(input, async (batch) => {
      const weird = batch.records.filter((record) => record.value.startsWith("weird"));
      await batch.deadLetter(weird.map((record) => ({ record, reason: 'detector "prada" failed: boom' })));
      stored.push(...batch.records.filter((record) => !weird.includes(record)).map((record) => record.value));
    });
    await run;
    expect(deadLettered.map(({ record, reason }) => [record.value, reason])).toEqual([
      ["weird-b", 'detector "prada" failed: boom'],
    ]);
    expect(stored).toEqual(["a", "c"]);
  });
});

describe("isInfrastructureError", () => {
  it("recognises connection, timeout and retriable Kafka errors, also when wrapped", () => {
    const kafka = Object.assign(new Error("Connection error: connect ECONNREFUSED"), {
      name: "KafkaJSConnectionError",
    });
    const retriable = Object.assign(new Error("This server is not the leader"), {
      name: "KafkaJSProtocolError",
      retriable: true,
    });
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    for (const error of [
      kafka,
      retriable,
      reset,
      new Error("Connection is closed."),
      new Error("LOADING Redis is loading the dataset in memory"),
      Object.assign(new Error("Reached the max retries per request limit"), {
        name: "MaxRetriesPerRequestError",
      }),
      new Error("redis write timed out (simulated)"),
      new Error("offset fence for in/0 kept moving; giving up this batch"),
      new Error("storing the batch failed", { cause: reset }),
    ])
      expect(isInfrastructureError(error), error.message).toBe(true);
  });

  it("does not excuse errors a record causes", () => {
    for (const error of [
      new RangeError("offset is out of bounds"),
      new TypeError("Cannot read properties of undefined (reading 'scores')"),
      new Error('detector "prada" failed: NaN distance'),
      Object.assign(new Error("The request included a message larger than the max message size"), {
        name: "KafkaJSProtocolError",
        retriable: false,
      }),
      "a string",
    ])
      expect(isInfrastructureError(error)).toBe(false);
  });
});
