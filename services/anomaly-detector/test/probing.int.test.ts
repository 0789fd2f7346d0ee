import {
  AnomalyServiceClient,
  Finding,
  FindingKind,
  type GetClientRiskResponse,
  InferenceEvent,
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
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { anomalyConfigSchema, startAnomalyDetector } from "../src/index.js";
import {
  benignClient,
  boundaryWalker,
  CALIBRATION_SEEDS,
  HELD_OUT_SEEDS,
  lineSearchExtractor,
  membershipProber,
  type Query,
} from "./clients/sim.js";

const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;

/** Interleaves clients' query streams round-robin, as concurrent clients would arrive. */
function interleave(streams: { client: string; queries: Query[] }[]): { client: string; query: Query }[] {
  const out: { client: string; query: Query }[] = [];
  const longest = Math.max(...streams.map((s) => s.queries.length));
  for (let i = 0; i < longest; i++) {
    for (const stream of streams) {
      const query = stream.queries[i];
      if (query) out.push({ client: stream.client, query });
    }
  }
  return out;
}

describe("extraction, adversarial and membership probing on real Kafka and Redis", () => {
  const namespace = uniqueNamespace("probing");
  const brokers = inject("kafkaBrokers");
  const principals = makePrincipals("acme");
  let detector: RunningService;
  let findings: TopicCollector;
  let client: AnomalyServiceClient;

  beforeAll(async () => {
    const env = isolatedServiceEnv({ kafkaBrokers: brokers, redisUrl: inject("redisUrl") }, namespace, {
      ANOMALY_INPUT_SCHEMAS_FILE: new URL("../config/models.example.yaml", import.meta.url).pathname,
      ANOMALY_OUTLIER_WARMUP: "300",
      ANOMALY_OUTLIER_CALIBRATION: "300",
      ANOMALY_FINGERPRINT_SALT: "test-salt-0123456789abcdef",
      ANOMALY_RATE_CAP_PER_MIN: "100000",
      ANOMALY_RATE_FALLBACK_PER_MIN: "100000",
      ARGUS_API_KEYS: apiKeysJson([principals.viewer]),
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

  it("flags each attacker with its own kind, no benign client, and reports the calibrated δ", async () => {
    const calibration = interleave(
      CALIBRATION_SEEDS.map((seed) => ({ client: `benign-${seed}`, queries: benignClient(seed) })),
    );
    const attack = interleave([
      ...HELD_OUT_SEEDS.slice(0, 80).map((seed) => ({
        client: `benign-${seed}`,
        queries: benignClient(seed),
      })),
      { client: "extractor", queries: lineSearchExtractor(1, 400, 20) },
      { client: "walker", queries: boundaryWalker(2) },
      { client: "prober", queries: membershipProber(3) },
    ]);
    const all = [...calibration, ...attack];
    const producer = await testProducer(brokers);
    for (let at = 0; at < all.length; at += 2_000) {
      await producer.send({
        topic: `${namespace}.argus.inference.v1`,
        messages: all.slice(at, at + 2_000).map(({ client: id, query }, k) => ({
          key: id,
          value: Buffer.from(
            InferenceEvent.encode(
              InferenceEvent.fromPartial({
                eventId: `00000000-0000-4000-8000-${String(at + k).padStart(12, "0")}`,
                modelId: "fraud-scorer",
                clientId: id,
                tenant: "acme",
                eventTime: new Date(t0 + (at + k) * 20),
                features: Object.fromEntries(
                  query.vector.map((v, i) => [`f${i}`, { kind: { $case: "number", value: v } }]),
                ),
                output: {
                  kind: {
                    $case: "classification",
                    value: { label: `c${query.label}`, scores: { [`c${query.label}`]: 0.8 } },
                  },
                },
              }),
            ).finish(),
          ),
        })),
      });
    }
    await producer.disconnect();

    const accusations = (m: { value: Buffer | null }[]) =>
      m
        .map((x) => Finding.decode(x.value as Buffer))
        .filter((f) =>
          [
            FindingKind.FINDING_KIND_EXTRACTION,
            FindingKind.FINDING_KIND_ADVERSARIAL_PROBE,
            FindingKind.FINDING_KIND_MEMBERSHIP_PROBE,
          ].includes(f.kind),
        );
    const expected = [
      `${FindingKind.FINDING_KIND_EXTRACTION}:extractor`,
      `${FindingKind.FINDING_KIND_ADVERSARIAL_PROBE}:walker`,
      `${FindingKind.FINDING_KIND_MEMBERSHIP_PROBE}:prober`,
    ];
    const byKind = (m: { value: Buffer | null }[]) =>
      new Set(accusations(m).map((f) => `${f.kind}:${f.subject?.clientId}`));
    await findings.waitUntil((m) => expected.every((e) => byKind(m).has(e)), 90_000, "the three attackers");
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const accused = new Set(accusations(findings.messages).map((f) => f.subject?.clientId));
    expect([...accused].filter((id) => id?.startsWith("benign"))).toEqual([]);

    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${principals.viewer.token}`);
    const { risk } = await new Promise<GetClientRiskResponse>((resolve, reject) =>
      client.getClientRisk(
        { clientId: "extractor" },
        metadata,
        (e: ServiceError | null, r: GetClientRiskResponse) => (e ? reject(e) : resolve(r)),
      ),
    );
    const prada = risk?.reasons.find((reason) => reason.kind === FindingKind.FINDING_KIND_EXTRACTION);
    // The reason says how the model's δ and out-of-distribution baseline were obtained, and by how much
    // the client is past them.
    expect(["population", "fallback"]).toContain(prada?.evidence.prada_delta_source);
    expect(Number(prada?.evidence.prada_delta)).toBeGreaterThanOrEqual(0.5);
    const byPrada = Number(prada?.evidence.shapiro_w) < Number(prada?.evidence.prada_delta);
    const byOodShare = Number(prada?.evidence.ood_share) > Number(prada?.evidence.ood_baseline);
    expect(byPrada || byOodShare).toBe(true);
  });
});
