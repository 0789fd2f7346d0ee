import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import {
  AnomalyServiceClient,
  FeedbackEvent,
  Finding,
  FindingKind,
  type GetClientRiskResponse,
  InferenceEvent,
  type ListRiskyClientsResponse,
  type ScreenInputResponse,
  Verdict,
} from "@argus/proto";
import { loadConfig, type RunningService } from "@argus/runtime";
import { seededUniform } from "@argus/stats";
import {
  apiKeysJson,
  bearer,
  collectTopic,
  isolatedServiceEnv,
  makePrincipals,
  type TopicCollector,
  testProducer,
  unary,
  uniqueNamespace,
} from "@argus/testkit";
import { credentials } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { anomalyConfigSchema, startAnomalyDetector } from "../src/index.js";
import { encode, traffic } from "./traffic.js";

const schemaFile = fileURLToPath(new URL("../config/models.example.yaml", import.meta.url));
describe("client-level detectors on real Kafka and Redis", () => {
  const namespace = uniqueNamespace("attacks");
  const brokers = inject("kafkaBrokers");
  const principals = makePrincipals("acme");
  const otherTenant = makePrincipals("globex");
  let detector: RunningService;
  let findings: TopicCollector;
  let client: AnomalyServiceClient;

  beforeAll(async () => {
    const env = isolatedServiceEnv({ kafkaBrokers: brokers, redisUrl: inject("redisUrl") }, namespace, {
      ANOMALY_INPUT_SCHEMAS_FILE: schemaFile,
      ANOMALY_RATE_FALLBACK_PER_MIN: "300",
      ANOMALY_RESOURCE_WARMUP: "100",
      ARGUS_API_KEYS: apiKeysJson([principals.viewer, principals.ingest, otherTenant.viewer]),
    });
    detector = await startAnomalyDetector(loadConfig(anomalyConfigSchema, env));
    findings = await collectTopic(brokers, `${namespace}.argus.findings.v1`);
    client = new AnomalyServiceClient(`127.0.0.1:${detector.grpcPort}`, credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await findings?.stop();
    await detector?.stop();
  });

  it("flags the burst client and the slow client, no benign client, and explains the risk", async () => {
    const planned = traffic();
    const random = seededUniform(7);
    const producer = await testProducer(brokers);
    for (let at = 0; at < planned.length; at += 1_000) {
      await producer.send({
        topic: `${namespace}.argus.inference.v1`,
        messages: planned.slice(at, at + 1_000).map((p) => ({ key: p.client, value: encode(p, random) })),
      });
    }
    await producer.disconnect();

    const clientFindings = (messages: { value: Buffer | null }[]) =>
      messages.map((m) => Finding.decode(m.value as Buffer)).filter((f) => f.subject?.clientId);
    const seen = await findings.waitUntil(
      (messages) => {
        const kinds = new Set(clientFindings(messages).map((f) => `${f.kind}:${f.subject?.clientId}`));
        return (
          kinds.has(`${FindingKind.FINDING_KIND_RATE_ABUSE}:burst-1`) &&
          kinds.has(`${FindingKind.FINDING_KIND_RESOURCE_ABUSE}:slow-1`)
        );
      },
      60_000,
      "rate and resource findings",
    );
    const flagged = new Set(
      clientFindings(seen)
        .filter((f) => f.kind !== FindingKind.FINDING_KIND_INPUT_VIOLATION)
        .map((f) => f.subject?.clientId),
    );
    expect([...flagged].sort()).toEqual(["burst-1", "slow-1"]);

    const viewer = bearer(principals.viewer.token);
    const { risk } = await unary<GetClientRiskResponse>((cb) =>
      client.getClientRisk({ clientId: "burst-1" }, viewer, cb),
    );
    expect(risk?.score).toBeGreaterThan(0.2);
    expect(risk?.reasons.map((reason) => reason.kind)).toContain(FindingKind.FINDING_KIND_RATE_ABUSE);
    expect(risk?.queries).toBe(500);

    const unknown = await unary<GetClientRiskResponse>((cb) =>
      client.getClientRisk({ clientId: "nobody" }, viewer, cb),
    );
    expect(unknown.risk?.score).toBe(0);
    expect(unknown.risk?.reasons).toEqual([]);
    // Another tenant cannot learn anything about this tenant's client.
    const foreign = await unary<GetClientRiskResponse>((cb) =>
      client.getClientRisk({ clientId: "burst-1" }, bearer(otherTenant.viewer.token), cb),
    );
    expect(foreign.risk?.score).toBe(0);

    const { clients } = await unary<ListRiskyClientsResponse>((cb) =>
      client.listRiskyClients({ modelId: "credit-risk", limit: 10 }, viewer, cb),
    );
    expect(clients.map((c) => c.clientId).sort()).toEqual(["burst-1", "slow-1"]);

    const screened = await unary<ScreenInputResponse>((cb) =>
      client.screenInput(
        {
          event: InferenceEvent.fromPartial({
            modelId: "credit-risk",
            clientId: "burst-1",
            tenant: "acme",
            features: { age: { kind: { $case: "number", value: 300 } } },
          }),
        },
        bearer(principals.ingest.token),
        cb,
      ),
    );
    expect(screened.verdict).not.toBe(Verdict.VERDICT_ALLOW);
    expect(screened.clientRisk).toBeCloseTo(risk?.score as number, 1);
  });

  it("flags the label source that flips labels, and no honest source", async () => {
    const random = seededUniform(99);
    const producer = await testProducer(brokers);
    const requests = 400;
    const predicted: string[] = [];
    const events = [];
    for (let i = 0; i < requests; i++) {
      const label = random() < 0.5 ? "approve" : "deny";
      predicted.push(label);
      events.push({
        key: `labelled-${i % 30}`,
        value: Buffer.from(
          InferenceEvent.encode(
            InferenceEvent.fromPartial({
              eventId: randomUUID(),
              modelId: "credit-risk",
              requestId: `req-${i}`,
              clientId: `labelled-${i % 30}`,
              tenant: "acme",
              eventTime: new Date(),
              features: { age: { kind: { $case: "number", value: 40 } } },
              output: { kind: { $case: "classification", value: { label, scores: { [label]: 0.95 } } } },
            }),
          ).finish(),
        ),
      });
    }
    await producer.send({ topic: `${namespace}.argus.inference.v1`, messages: events });
    // Labels are only judged against predictions already stored: give the detector a moment.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const flip = (label: string) => (label === "approve" ? "deny" : "approve");
    const feedback = [];
    for (let i = 0; i < requests; i++) {
      const truth = predicted[i] as string;
      for (const source of ["vendor-a", "vendor-b", "users", "flipper"]) {
        if (random() < 0.4) continue;
        const honest = random() < 0.92 ? truth : flip(truth);
        const label = source === "flipper" ? (random() < 0.8 ? flip(truth) : truth) : honest;
        feedback.push({
          key: "credit-risk",
          value: Buffer.from(
            FeedbackEvent.encode(
              FeedbackEvent.fromPartial({
                feedbackId: randomUUID(),
                modelId: "credit-risk",
                tenant: "acme",
                source,
                eventTime: new Date(),
                target: {
                  $case: "label",
                  value: { requestId: `req-${i}`, value: { $case: "label", value: label } },
                },
              }),
            ).finish(),
          ),
        });
      }
    }
    await producer.send({ topic: `${namespace}.argus.feedback.v1`, messages: feedback });
    await producer.disconnect();
    const poisoning = (messages: { value: Buffer | null }[]) =>
      messages
        .map((m) => Finding.decode(m.value as Buffer))
        .filter((f) => f.kind === FindingKind.FINDING_KIND_POISONING);
    const seen = await findings.waitUntil((m) => poisoning(m).length > 0, 60_000, "a poisoning finding");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect([...new Set(poisoning(findings.messages).map((f) => f.subject?.source))]).toEqual(["flipper"]);
    expect(poisoning(seen)[0]?.summary).toContain("flipper");
  });
});
