import { createHash } from "node:crypto";
import { DeadLetter } from "@argus/proto";
import type { OutgoingMessage, ProducerPort } from "./kafka-port.js";
import { errorChain } from "./transport-security.js";

export interface RejectedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  reason: string;
}

/**
 * The default bound of one dead-letter record (value, key, headers and Kafka's framing): well under
 * Kafka's default `message.max.bytes` of 1 MiB, so the dead-letter topic accepts every dead letter
 * even when the original record was as large as its own topic allowed.
 */
export const DEFAULT_DEAD_LETTER_MAX_BYTES = 900 * 1024;

/** The smallest bound that still leaves room for the metadata, a bounded key and bounded headers. */
export const MIN_DEAD_LETTER_MAX_BYTES = 16 * 1024;

export interface DeadLetterLimits {
  /** Upper bound of one dead-letter record as Kafka counts it (default 900 KiB). */
  maxRecordBytes?: number;
}

// Room left for what Kafka adds around a record (record batch header, record framing, varints) and
// for the two schema headers: generous, as the exact framing depends on the producer.
const KAFKA_FRAMING_BYTES = 512;
const MAX_REASON_CHARS = 4_096;

/** What one dead-letter record sends: Kafka key and the encoded DeadLetter. */
export interface DeadLetterRecord {
  key: Buffer | null;
  value: Buffer;
  /** Something was cut to make it fit. */
  truncated: boolean;
}

/**
 * Sends records that could not be decoded, validated or processed to the dead-letter topic with
 * their original bytes and the reason, keyed like the original so a replay keeps per-key order.
 * Every dead letter fits `maxRecordBytes`: an oversized value, key or header value is cut to a
 * prefix, and the dead letter says so with the complete value's size and SHA-256.
 */
export class DeadLetterPublisher {
  readonly maxRecordBytes: number;

  constructor(
    private readonly producer: ProducerPort,
    private readonly topic: string,
    private readonly consumerGroup: string,
    limits: DeadLetterLimits = {},
  ) {
    const maxRecordBytes = limits.maxRecordBytes ?? DEFAULT_DEAD_LETTER_MAX_BYTES;
    if (!Number.isInteger(maxRecordBytes) || maxRecordBytes < MIN_DEAD_LETTER_MAX_BYTES)
      throw new RangeError(
        `dead-letter maxRecordBytes must be an integer of at least ${MIN_DEAD_LETTER_MAX_BYTES}, got ${maxRecordBytes}`,
      );
    this.maxRecordBytes = maxRecordBytes;
  }

  /**
   * Publishes with acks=all and resolves only once every record is on the topic; it throws
   * otherwise, so the caller must not commit the records' offsets (nothing is dropped silently).
   */
  async publish(rejected: RejectedRecord[], now: Date): Promise<void> {
    if (rejected.length === 0) return;
    const letters = rejected.map((record) => ({
      record,
      letter: encodeDeadLetter(record, this.consumerGroup, now, this.maxRecordBytes),
    }));
    // A producer (kafkajs does) puts all the messages of one send for a partition into one record
    // batch, and the broker bounds the batch, not the record: each send carries at most maxRecordBytes.
    for (const group of groupsWithin(letters, this.maxRecordBytes)) {
      try {
        await this.send(group.map(({ letter }) => letter));
      } catch (error) {
        if (!tooLarge(error)) throw error;
        // The topic takes less than maxRecordBytes (its max.message.bytes was lowered): send each
        // record's dead letter at the smallest bound, which keeps its position, size, SHA-256 and
        // reason; the original bytes stay in the source topic until its retention ends.
        for (const { record } of group)
          await this.send([encodeDeadLetter(record, this.consumerGroup, now, MIN_DEAD_LETTER_MAX_BYTES)]);
      }
    }
  }

  private async send(letters: DeadLetterRecord[]): Promise<void> {
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map(
        (letter): OutgoingMessage => ({
          key: letter.key,
          value: letter.value,
          headers: { "content-type": "application/x-protobuf", "argus-schema": "argus.v1.DeadLetter" },
        }),
      ),
    });
  }
}

/** Kafka refused the record or batch for its size. */
function tooLarge(error: unknown): boolean {
  return errorChain(error).some((failure) =>
    ["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE"].includes(
      (failure as Error & { type?: string }).type ?? "",
    ),
  );
}

/**
 * The dead letter of one record, bounded to `maxRecordBytes` as Kafka will count it. The key is cut
 * to 1/16 of the bound and the headers share 1/8 of it (each value to at most 1/64); the value gets
 * what is left. The reason is cut to 4096 characters.
 */
export function encodeDeadLetter(
  record: RejectedRecord,
  consumerGroup: string,
  failedAt: Date,
  maxRecordBytes: number = DEFAULT_DEAD_LETTER_MAX_BYTES,
): DeadLetterRecord {
  const value = record.value ?? Buffer.alloc(0);
  const key = record.key === null ? null : prefix(record.key, Math.floor(maxRecordBytes / 16));
  const headers = boundedHeaders(
    record.headers,
    Math.floor(maxRecordBytes / 8),
    Math.floor(maxRecordBytes / 64),
  );
  const keyCut = record.key !== null && key !== null && key.length < record.key.length;
  const reason =
    record.reason.length > MAX_REASON_CHARS ? `${record.reason.slice(0, MAX_REASON_CHARS)}…` : record.reason;
  const letter: DeadLetter = {
    sourceTopic: record.topic,
    sourcePartition: record.partition,
    sourceOffset: Number(record.offset),
    originalKey: key ?? Buffer.alloc(0),
    originalValue: Buffer.alloc(0),
    originalHeaders: headers.values,
    reason,
    consumerGroup,
    failedAt,
    originalSize: value.length,
    originalSha256: createHash("sha256").update(value).digest(),
    truncated: true,
  };
  // Everything but the value, with the flag set: its size is the fixed part of the record.
  const fixed = DeadLetter.encode(letter).finish().length;
  // The value's own field tag and length prefix take at most 1 + 5 bytes.
  const room = maxRecordBytes - KAFKA_FRAMING_BYTES - (key?.length ?? 0) - fixed - 6;
  const valueCut = value.length > room;
  letter.originalValue = valueCut ? value.subarray(0, Math.max(room, 0)) : value;
  letter.truncated = valueCut || keyCut || headers.cut;
  return { key, value: Buffer.from(DeadLetter.encode(letter).finish()), truncated: letter.truncated };
}

function prefix(bytes: Buffer, max: number): Buffer {
  return bytes.length > max ? bytes.subarray(0, max) : bytes;
}

/** Headers within `budget` bytes (names and values, UTF-8), each value at most `maxValue` bytes. */
function boundedHeaders(
  headers: Record<string, string>,
  budget: number,
  maxValue: number,
): { values: Record<string, string>; cut: boolean } {
  const values: Record<string, string> = {};
  let left = budget;
  let cut = false;
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = Buffer.byteLength(name) + 8; // the map entry's own framing
    if (nameBytes > left) {
      cut = true;
      continue;
    }
    const room = Math.min(maxValue, left - nameBytes);
    const kept = utf8Prefix(value, room);
    if (kept.length < value.length) cut = true;
    values[name] = kept;
    left -= nameBytes + Buffer.byteLength(kept);
  }
  return { values, cut };
}

/** The longest prefix of `text` whose UTF-8 encoding has at most `maxBytes` bytes (whole characters). */
export function utf8Prefix(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(maxBytes, 0);
  // A continuation byte (10xxxxxx) right after the cut: the character it belongs to is dropped whole.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8");
}

function groupsWithin<L extends { letter: DeadLetterRecord }>(letters: L[], maxBytes: number): L[][] {
  const groups: L[][] = [];
  let current: L[] = [];
  let size = 0;
  for (const entry of letters) {
    const { letter } = entry;
    const letterSize = letter.value.length + (letter.key?.length ?? 0) + KAFKA_FRAMING_BYTES;
    if (current.length > 0 && size + letterSize > maxBytes) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += letterSize;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
