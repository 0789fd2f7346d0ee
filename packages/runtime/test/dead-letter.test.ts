import { createHash, randomBytes } from "node:crypto";
import { DeadLetter } from "@argus/proto";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_DEAD_LETTER_MAX_BYTES,
  DeadLetterPublisher,
  encodeDeadLetter,
  type RejectedRecord,
  utf8Prefix,
} from "../src/dead-letter.js";

const failedAt = new Date("2026-01-02T03:04:05Z");

function rejected(overrides: Partial<RejectedRecord> = {}): RejectedRecord {
  return {
    topic: "argus.inference.v1",
    partition: 2,
    offset: "41",
    key: Buffer.from("client-7"),
    value: Buffer.from("not protobuf"),
    headers: { traceparent: "00-abc-def-01" },
    reason: "decode failed: index out of range",
    ...overrides,
  };
}

/** The bytes Kafka counts for a record, near enough: key, value and the two schema headers. */
function recordSize(letter: { key: Buffer | null; value: Buffer }): number {
  return (letter.key?.length ?? 0) + letter.value.length + 100;
}

describe("encodeDeadLetter", () => {
  it("keeps a small record whole, with its size and SHA-256", () => {
    const record = rejected();
    const encoded = encodeDeadLetter(record, "argus-anomaly", failedAt);
    const letter = DeadLetter.decode(encoded.value);
    expect(encoded.truncated).toBe(false);
    expect(encoded.key?.toString()).toBe("client-7");
    expect(letter).toEqual(
      expect.objectContaining({
        sourceTopic: "argus.inference.v1",
        sourcePartition: 2,
        sourceOffset: 41,
        originalHeaders: { traceparent: "00-abc-def-01" },
        reason: "decode failed: index out of range",
        consumerGroup: "argus-anomaly",
        failedAt,
        originalSize: 12,
        truncated: false,
      }),
    );
    expect(Buffer.from(letter.originalValue).toString()).toBe("not protobuf");
    expect(Buffer.from(letter.originalSha256).toString("hex")).toBe(
      createHash("sha256").update("not protobuf").digest("hex"),
    );
  });

  it("cuts a value too large for the dead-letter topic to a prefix, and says so", () => {
    const value = randomBytes(1024 * 1024);
    const encoded = encodeDeadLetter(rejected({ value }), "argus-anomaly", failedAt);
    expect(recordSize(encoded)).toBeLessThanOrEqual(DEFAULT_DEAD_LETTER_MAX_BYTES);
    const letter = DeadLetter.decode(encoded.value);
    expect(letter.truncated).toBe(true);
    expect(letter.originalSize).toBe(1024 * 1024);
    expect(Buffer.from(letter.originalSha256).equals(createHash("sha256").update(value).digest())).toBe(true);
    const kept = Buffer.from(letter.originalValue);
    // As much as fits is kept, and it is the beginning of the original.
    expect(kept.length).toBeGreaterThan(DEFAULT_DEAD_LETTER_MAX_BYTES - 2048);
    expect(kept.equals(value.subarray(0, kept.length))).toBe(true);
  });

  it("bounds the key, the header values and the reason too", () => {
    const max = 64 * 1024;
    const encoded = encodeDeadLetter(
      rejected({
        key: Buffer.alloc(200 * 1024, "k"),
        value: Buffer.alloc(10),
        headers: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`h-${i}`, "v".repeat(10_000)])),
        reason: `handler failed: ${"x".repeat(100_000)}`,
      }),
      "argus-drift",
      failedAt,
      max,
    );
    expect(recordSize(encoded)).toBeLessThanOrEqual(max);
    const letter = DeadLetter.decode(encoded.value);
    expect(letter.truncated).toBe(true);
    expect(encoded.key?.length).toBe(max / 16);
    expect(letter.originalKey.length).toBe(max / 16);
    expect(letter.reason.length).toBeLessThanOrEqual(4_097);
    expect(letter.reason.startsWith("handler failed: xxx")).toBe(true);
    // The value was small: all of it is kept.
    expect(letter.originalSize).toBe(10);
    expect(letter.originalValue.length).toBe(10);
  });

  it("keeps a record without key or value as such", () => {
    const encoded = encodeDeadLetter(rejected({ key: null, value: null }), "g", failedAt);
    const letter = DeadLetter.decode(encoded.value);
    expect(encoded.key).toBeNull();
    expect(letter.truncated).toBe(false);
    expect(letter.originalSize).toBe(0);
    expect(letter.originalValue.length).toBe(0);
  });

  it("refuses a bound too small to hold the metadata", () => {
    expect(() => new DeadLetterPublisher({} as never, "dlq", "g", { maxRecordBytes: 1_000 })).toThrow(
      /maxRecordBytes must be an integer of at least 16384, got 1000/,
    );
  });
});

describe("utf8Prefix", () => {
  it("cuts between characters, never inside one", () => {
    expect(utf8Prefix("héllo", 100)).toBe("héllo");
    expect(utf8Prefix("héllo", 2)).toBe("h");
    expect(utf8Prefix("héllo", 3)).toBe("hé");
    expect(utf8Prefix("a😀b", 4)).toBe("a");
    expect(utf8Prefix("a😀b", 5)).toBe("a😀");
    expect(utf8Prefix("abc", 0)).toBe("");
  });
});
