import { fileURLToPath } from "node:url";
import { Finding, FindingKind, InferenceEvent } from "@argus/proto";
import { loadConfig, type RunningService } from "@argus/runtime";
import { normalDraw, seededUniform } from "@argus/stats";
import {
  collectTopic,
  isolatedServiceEnv,
  type TopicCollector,
  testProducer,
  uniqueNamespace,
} from "@argus/testkit";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { anomalyConfigSchema, startAnomalyDetector } from "../src/index.js";

const schemaFile = fileURLToPath(new URL("../config/models.example.yaml", import.meta.url));

describe("per-event outliers on real Kafka and Redis", () => {
  const namespace = uniqueNamespace("outliers");
  const brokers = inject("kafkaBrokers");
  let detector: RunningService;
  let findings: TopicCollector;

  beforeAll(async () => {
    const env = isolatedServiceEnv({ kafkaBrokers: brokers, redisUrl: inject("redisUrl") }, namespace, {
      ANOMALY_INPUT_SCHEMAS_FILE: schemaFile,
      ANOMALY_OUTLIER_WARMUP: "300",
      ANOMALY_OUTLIER_CALIBRATION: "600",
      ANOMALY_OUTLIER_FPR: "0.005",
    });
    detector = await startAnomalyDetector(loadConfig(anomalyConfigSchema, env));
    findings = await collectTopic(brokers, `${namespace}.argus.findings.v1`);
  });

  afterAll(async () => {
    await findings?.stop();
    await detector?.stop();
  });

  it("flags inputs that break the features' joint shape, at about the calibrated rate on benign ones", async () => {
    const random = seededUniform(31);
    const event = (i: number, features: Record<string, number | string>) => ({
      key: `client-${i % 90}`,
      value: Buffer.from(
        InferenceEvent.encode(
          InferenceEvent.fromPartial({
            eventId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
            modelId: "credit-risk",
            clientId: `client-${i % 90}`,
            tenant: "acme",
            eventTime: new Date(Date.UTC(2026, 7, 1) + i * 1000),
            features: Object.fromEntries(
              Object.entries(features).map(([name, value]) => [
                name,
                typeof value === "number"
                  ? { kind: { $case: "number", value } }
                  : { kind: { $case: "category", value } },
              ]),
            ),
          }),
        ).finish(),
      ),
    });
    const benign = () => {
      const age = Math.round(normalDraw(random, 45, 10));
      return {
        age,
        income: Math.round(age * 1200 + normalDraw(random, 0, 6000)),
        debt_ratio: random(),
        employment: "employed",
      };
    };
    const messages = [];
    const benignCount = 4_000;
    for (let i = 0; i < benignCount; i++) messages.push(event(i, benign()));
    // Young applicants with the income of a 90-year-old: each value is plausible, together they are not.
    const outlierIds: string[] = [];
    for (let k = 0; k < 5; k++) {
      const i = benignCount + k;
      outlierIds.push(`00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
      messages.push(event(i, { age: 22, income: 108_000, debt_ratio: 0.5, employment: "employed" }));
    }
    const producer = await testProducer(brokers);
    await producer.send({ topic: `${namespace}.argus.inference.v1`, messages });
    await producer.disconnect();

    const outliers = (m: { value: Buffer | null }[]) =>
      m
        .map((x) => Finding.decode(x.value as Buffer))
        .filter((f) => f.kind === FindingKind.FINDING_KIND_OUTLIER);
    await findings.waitUntil(
      (m) => outlierIds.every((id) => outliers(m).some((f) => f.sampleEventIds.includes(id))),
      60_000,
      "the five outliers",
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const falsePositives = outliers(findings.messages).filter(
      (f) => !outlierIds.includes(f.sampleEventIds[0] as string),
    );
    // 4 000 benign events, of which ~1 300 are scored after warm-up and calibration (900 per
    // partition): a 0.5 % target, with the tail quantile estimated from 600 scores, allows ~2 %.
    expect(falsePositives.length).toBeLessThanOrEqual(26);
    const flagged = outliers(findings.messages).find((f) => f.sampleEventIds[0] === outlierIds[0]);
    expect(flagged?.evidence.top_features).toContain("income");
  });
});
