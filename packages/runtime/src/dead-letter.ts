import { DeadLetter } from "@argus/proto";
import type { Producer } from "kafkajs";

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
 * Sends records that could not be decoded or validated to the dead-letter topic with their
 * original bytes and the reason, keyed like the original so a replay keeps per-key order.
 */
export class DeadLetterPublisher {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly consumerGroup: string,
  ) {}

  async publish(rejected: RejectedRecord[], now: Date): Promise<void> {
    if (rejected.length === 0) return;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: rejected.map((record) => ({
        key: record.key,
        value: Buffer.from(
          DeadLetter.encode({
            sourceTopic: record.topic,
            sourcePartition: record.partition,
            sourceOffset: Number(record.offset),
            originalKey: record.key ?? Buffer.alloc(0),
            originalValue: record.value ?? Buffer.alloc(0),
            originalHeaders: record.headers,
            reason: record.reason,
            consumerGroup: this.consumerGroup,
            failedAt: now,
          }).finish(),
        ),
        headers: { "content-type": "application/x-protobuf", "argus-schema": "argus.v1.DeadLetter" },
      })),
    });
  }
}
