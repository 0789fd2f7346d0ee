import { readFileSync } from "node:fs";
import {
  AnomalyServiceClient,
  Finding,
  FindingKind,
  InferenceEvent,
  type ScreenInputResponse,
  Verdict,
} from "@argus/proto";
import { loadConfig, type RunningService } from "@argus/runtime";
import {
  apiKeysJson,
  collectTopic,
  isolatedServiceEnv,
  makePrincipals,
  type TopicCollector,
  testProducer,
  uniqueNamespace,
} from "@argus/testkit";
import { credentials, Metadata } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { anomalyConfigSchema, startAnomalyDetector } from "../src/index.js";

const corpus = (file: string) =>
  readFileSync(new URL(`../corpora/${file}`, import.meta.url), "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { text: string; label: string });

describe("text scanners on an LLM endpoint's stream (real Kafka and Redis)", () => {
  const namespace = uniqueNamespace("text");
  const brokers = inject("kafkaBrokers");
  const principals = makePrincipals("acme");
  let detector: RunningService;
  let findings: TopicCollector;

  beforeAll(async () => {
    const env = isolatedServiceEnv({ kafkaBrokers: brokers, redisUrl: inject("redisUrl") }, namespace, {
      ANOMALY_INPUT_SCHEMAS_FILE: new URL("../config/models.example.yaml", import.meta.url).pathname,
      ARGUS_API_KEYS: apiKeysJson([principals.ingest]),
    });
    detector = await startAnomalyDetector(loadConfig(anomalyConfigSchema, env));
    findings = await collectTopic(brokers, `${namespace}.argus.findings.v1`);
  });

  afterAll(async () => {
    await findings?.stop();
    await detector?.stop();
  });

  it("reports injections in prompts and secrets leaked in answers, and nothing for benign chat", async () => {
    const benign = corpus("text-benign.jsonl").slice(0, 60);
    const injections = corpus("text-attacks.jsonl")
      .filter((entry) => entry.label === "injection")
      .slice(0, 10);
    const secrets = corpus("text-attacks.jsonl")
      .filter((entry) => entry.label === "secret")
      .slice(0, 5);
    let n = 0;
    const event = (client: string, prompt: string, answer: string) => {
      const id = `00000000-0000-4000-8000-${String(n++).padStart(12, "0")}`;
      return {
        id,
        message: {
          key: client,
          value: Buffer.from(
            InferenceEvent.encode(
              InferenceEvent.fromPartial({
                eventId: id,
                modelId: "support-chat",
                clientId: client,
                tenant: "acme",
                eventTime: new Date(),
                features: { prompt: { kind: { $case: "text", value: prompt } } },
                output: { kind: { $case: "generatedText", value: answer } },
                outputTokens: 40,
              }),
            ).finish(),
          ),
        },
      };
    };
    const benignEvents = benign.map((entry, i) =>
      event(`user-${i % 20}`, entry.text, "Happy to help with that."),
    );
    const injectionEvents = injections.map((entry) =>
      event("attacker", entry.text, "I can't help with that."),
    );
    const leakEvents = secrets.map((entry, i) => event(`user-${i}`, "What is the deploy key?", entry.text));
    const producer = await testProducer(brokers);
    await producer.send({
      topic: `${namespace}.argus.inference.v1`,
      messages: [...benignEvents, ...injectionEvents, ...leakEvents].map((e) => e.message),
    });
    await producer.disconnect();

    const decoded = () => findings.messages.map((m) => Finding.decode(m.value as Buffer));
    const ids = (kind: FindingKind) =>
      new Set(
        decoded()
          .filter((f) => f.kind === kind)
          .map((f) => f.sampleEventIds[0]),
      );
    await findings.waitUntil(
      () =>
        injectionEvents.every((e) => ids(FindingKind.FINDING_KIND_PROMPT_INJECTION).has(e.id)) &&
        leakEvents.every((e) => ids(FindingKind.FINDING_KIND_DATA_LEAKAGE).has(e.id)),
      60_000,
      "an injection finding per attack and a leakage finding per leaked secret",
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const benignIds = new Set(benignEvents.map((e) => e.id));
    expect(decoded().filter((f) => benignIds.has(f.sampleEventIds[0] as string))).toEqual([]);
    // Evidence is redacted: no finding carries a leaked secret whole.
    const evidence = JSON.stringify(decoded().map((f) => f.evidence));
    for (const secret of secrets) {
      const token = secret.text.split(/\s+/).reduce((a, b) => (b.length > a.length ? b : a), "");
      expect(evidence).not.toContain(token);
    }

    const client = new AnomalyServiceClient(`127.0.0.1:${detector.grpcPort}`, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${principals.ingest.token}`);
    const screen = (prompt: string) =>
      new Promise<ScreenInputResponse>((resolve, reject) =>
        client.screenInput(
          {
            event: InferenceEvent.fromPartial({
              modelId: "support-chat",
              clientId: "someone",
              tenant: "acme",
              features: { prompt: { kind: { $case: "text", value: prompt } } },
            }),
          },
          metadata,
          (e, r) => (e ? reject(e) : resolve(r)),
        ),
      );
    expect((await screen(injections[0]?.text as string)).verdict).toBe(Verdict.VERDICT_BLOCK);
    expect((await screen(benign[0]?.text as string)).verdict).toBe(Verdict.VERDICT_ALLOW);
    client.close();
  });
});
