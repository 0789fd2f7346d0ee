// Feedback poisoning through real Kafka and Redis: a label source with two weeks of clean labels
// turns bad (flips 30 % of its labels) after the detector restarted, and is flagged within 150 of its
// labels after the change; the honest sources are not.
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { FeedbackEvent, Finding, FindingKind, InferenceEvent } from "@argus/proto";
import { loadConfig, type RunningService } from "@argus/runtime";
import { seededUniform } from "@argus/stats";
import { collectTopic, isolatedServiceEnv, testProducer, uniqueNamespace } from "@argus/testkit";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { anomalyConfigSchema, startAnomalyDetector } from "../src/index.js";

const schemaFile = fileURLToPath(new URL("../config/models.example.yaml", import.meta.url));
const model = "credit-risk";
const requests = 2_200;
const changeAt = 1_600;
const sources = ["vendor-a", "vendor-b", "users"];
const t0 = Date.UTC(2026, 2, 1);
/** Request i is made and labelled at t0 + i × 10 minutes: the clean history spans about 11 days. */
const timeOf = (i: number) => new Date(t0 + i * 600_000);

describe("feedback poisoning on real Kafka and Redis", () => {
  const namespace = uniqueNamespace("poisoning");
  const brokers = inject("kafkaBrokers");
  const env = isolatedServiceEnv({ kafkaBrokers: brokers, redisUrl: inject("redisUrl") }, namespace, {
    ANOMALY_INPUT_SCHEMAS_FILE: schemaFile,
  });
  const redis = new Redis(inject("redisUrl"));
  const key = (...parts: string[]) => [namespace, "anomaly-detector", ...parts].join(":");
  let detector: RunningService | undefined;

  afterAll(async () => {
    await detector?.stop();
    redis.disconnect();
  });

  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Labels of the model judged against its confident predictions so far (the stored state). */
  async function judgedLabels(): Promise<number> {
    const stored = await redis.hget(key("poisoning", `{${model}}`), "model");
    return stored ? (JSON.parse(stored) as { confident: { n: number } }).confident.n : 0;
  }

  it("flags a source that turns bad after a clean history within 150 of its labels, across a restart, and no honest source", async () => {
    const random = seededUniform(2026);
    const truth = Array.from({ length: requests }, () => (random() < 0.5 ? "approve" : "deny"));
    const flip = (label: string) => (label === "approve" ? "deny" : "approve");
    const labels = truth.flatMap((label, i) =>
      sources.flatMap((source) => {
        if (random() >= 0.7) return [];
        let given = random() < 0.92 ? label : flip(label);
        if (source === "vendor-a" && i >= changeAt && random() < 0.3) given = flip(given);
        return [{ i, source, label: given }];
      }),
    );
    const feedback = (part: typeof labels) =>
      part.map(({ i, source, label }) => ({
        key: model,
        value: Buffer.from(
          FeedbackEvent.encode(
            FeedbackEvent.fromPartial({
              feedbackId: randomUUID(),
              modelId: model,
              tenant: "acme",
              source,
              eventTime: timeOf(i),
              target: {
                $case: "label",
                value: { requestId: `req-${i}`, value: { $case: "label", value: label } },
              },
            }),
          ).finish(),
        ),
      }));

    detector = await startAnomalyDetector(loadConfig(anomalyConfigSchema, env));
    const findings = await collectTopic(brokers, `${namespace}.argus.findings.v1`);
    const producer = await testProducer(brokers);
    try {
      const predictions = truth.map((label, i) => ({
        key: `labelled-${i % 40}`,
        value: Buffer.from(
          InferenceEvent.encode(
            InferenceEvent.fromPartial({
              eventId: randomUUID(),
              modelId: model,
              requestId: `req-${i}`,
              clientId: `labelled-${i % 40}`,
              tenant: "acme",
              eventTime: timeOf(i),
              features: { age: { kind: { $case: "number", value: 40 } } },
              output: { kind: { $case: "classification", value: { label, scores: { [label]: 0.95 } } } },
            }),
          ).finish(),
        ),
      }));
      for (let at = 0; at < predictions.length; at += 500)
        await producer.send({
          topic: `${namespace}.argus.inference.v1`,
          messages: predictions.slice(at, at + 500),
        });
      // Labels are judged against the confident predictions already stored.
      const confidentKeys = truth.map((_, i) => key("confident", `{${model}}`, `req-${i}`));
      await until(
        async () => (await redis.mget(confidentKeys)).every((value) => value !== null),
        "every confident prediction stored",
      );

      const clean = labels.filter(({ i }) => i < changeAt);
      await producer.send({ topic: `${namespace}.argus.feedback.v1`, messages: feedback(clean) });
      await until(async () => (await judgedLabels()) === clean.length, "the clean history judged");
      // The history lives in Redis: a new process goes on from it.
      await detector.stop();
      detector = await startAnomalyDetector(loadConfig(anomalyConfigSchema, env));

      const rest = labels.filter(({ i }) => i >= changeAt);
      await producer.send({ topic: `${namespace}.argus.feedback.v1`, messages: feedback(rest) });
      await until(async () => (await judgedLabels()) === labels.length, "every label judged");
    } finally {
      await producer.disconnect();
    }
    const poisoning = (messages: { value: Buffer | null }[]) =>
      messages
        .map((m) => Finding.decode(m.value as Buffer))
        .filter((f) => f.kind === FindingKind.FINDING_KIND_POISONING);
    await findings.waitUntil((m) => poisoning(m).length > 0, 30_000, "a poisoning finding");
    await findings.stop();

    const raised = poisoning(findings.messages);
    expect([...new Set(raised.map((f) => f.subject?.source))]).toEqual(["vendor-a"]);
    const first = raised.sort((a, b) => (a.observedAt?.getTime() ?? 0) - (b.observedAt?.getTime() ?? 0))[0];
    expect(first?.evidence).toMatchObject({ test: "change" });
    const clean = labels.filter(({ i, source }) => source === "vendor-a" && i < changeAt).length;
    expect(clean).toBeGreaterThan(1_000);
    const badBeforeAlarm = labels.filter(
      ({ i, source }) =>
        source === "vendor-a" && i >= changeAt && timeOf(i).getTime() <= (first?.observedAt?.getTime() ?? 0),
    ).length;
    expect(badBeforeAlarm).toBeGreaterThan(0);
    expect(badBeforeAlarm).toBeLessThanOrEqual(150);
    expect(Number(first?.evidence.reference_rate)).toBeLessThan(0.15);
    expect(Number(first?.evidence.disagreement_rate)).toBeGreaterThan(0.2);
    expect(first?.summary).toContain("vendor-a");
  });
});
