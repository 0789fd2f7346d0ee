import { randomBytes, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { DeadLetter, Finding, FindingKind, InferenceEvent } from "@argus/proto";
import { loadConfig, type RunningService } from "@argus/runtime";
import {
  collectTopic,
  isolatedServiceEnv,
  type TopicCollector,
  testProducer,
  uniqueNamespace,
} from "@argus/testkit";
import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { anomalyConfigSchema, startAnomalyDetector } from "../src/index.js";

const schemaFile = fileURLToPath(new URL("../config/models.example.yaml", import.meta.url));

function creditRiskEvent(features: InferenceEvent["features"]): Buffer {
  return Buffer.from(
    InferenceEvent.encode(
      InferenceEvent.fromPartial({
        eventId: randomUUID(),
        modelId: "credit-risk",
        modelVersion: "1.0.0",
        clientId: "p1.client-a",
        tenant: "acme",
        eventTime: new Date(),
        features,
      }),
    ).finish(),
  );
}

const validFeatures: InferenceEvent["features"] = {
  age: { kind: { $case: "number", value: 41 } },
  income: { kind: { $case: "number", value: 52_000 } },
  debt_ratio: { kind: { $case: "number", value: 0.4 } },
  employment: { kind: { $case: "category", value: "employed" } },
};

describe("anomaly-detector on real Kafka", () => {
  const namespace = uniqueNamespace("anomaly");
  const brokers = inject("kafkaBrokers");
  let detector: RunningService;
  let producer: Producer;
  let deadLetters: TopicCollector;
  let findings: TopicCollector;
  const topic = (name: string) => `${namespace}.${name}`;

  beforeAll(async () => {
    const env = isolatedServiceEnv({ kafkaBrokers: brokers, redisUrl: inject("redisUrl") }, namespace, {
      ANOMALY_INPUT_SCHEMAS_FILE: schemaFile,
    });
    detector = await startAnomalyDetector(loadConfig(anomalyConfigSchema, env));
    producer = await testProducer(brokers);
    deadLetters = await collectTopic(brokers, topic("argus.deadletter.v1"));
    findings = await collectTopic(brokers, topic("argus.findings.v1"));
  });

  afterAll(async () => {
    await deadLetters?.stop();
    await findings?.stop();
    await producer?.disconnect();
    await detector?.stop();
  });

  it("dead-letters random bytes, reports a schema breach as input_violation, and keeps consuming", async () => {
    const garbage = randomBytes(64);
    await producer.send({
      topic: topic("argus.inference.v1"),
      messages: [
        { key: "client-a", value: garbage },
        {
          key: "client-a",
          value: creditRiskEvent({ ...validFeatures, age: { kind: { $case: "number", value: 212 } } }),
        },
        { key: "client-a", value: creditRiskEvent(validFeatures) },
      ],
    });

    const dlq = await deadLetters.waitUntil((m) => m.length >= 1, 60_000, "the dead letter");
    const deadLetter = DeadLetter.decode(dlq[0]?.value as Buffer);
    expect(deadLetter.sourceTopic).toBe(topic("argus.inference.v1"));
    expect(Buffer.from(deadLetter.originalValue).equals(garbage)).toBe(true);
    expect(deadLetter.reason).not.toBe("");
    expect(deadLetter.consumerGroup).toBe(`${namespace}.argus-anomaly`);

    const first = await findings.waitUntil((m) => m.length >= 1, 60_000, "the age finding");
    const finding = Finding.decode(first[0]?.value as Buffer);
    expect(finding.kind).toBe(FindingKind.FINDING_KIND_INPUT_VIOLATION);
    expect(finding.subject?.feature).toBe("age");
    expect(finding.modelId).toBe("credit-risk");

    // The detector is still consuming after the bad record: a later breach is reported too.
    await producer.send({
      topic: topic("argus.inference.v1"),
      messages: [
        {
          key: "client-b",
          value: creditRiskEvent({
            ...validFeatures,
            employment: { kind: { $case: "category", value: "pirate" } },
          }),
        },
      ],
    });
    const later = await findings.waitUntil((m) => m.length >= 2, 60_000, "the employment finding");
    const features = later.map((m) => Finding.decode(m.value as Buffer).subject?.feature);
    expect(features).toEqual(["age", "employment"]);
    expect(deadLetters.messages).toHaveLength(1);
  });
});
