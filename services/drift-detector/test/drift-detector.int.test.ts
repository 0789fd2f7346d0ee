import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BaselineSource,
  BaselineSpec,
  DriftServiceClient,
  FeedbackEvent,
  Finding,
  FindingKind,
  type GetDriftReportResponse,
  type GetFeatureHistoryResponse,
  type ListModelsResponse,
  type ListWindowsResponse,
  ReportStatus,
  type SetBaselineRequest,
  type SetBaselineResponse,
} from "@argus/proto";
import { loadConfig, type RunningService } from "@argus/runtime";
import { createMonitor, type Monitor } from "@argus/sdk";
import { normalDraw, seededUniform } from "@argus/stats";
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
import { credentials, type ServiceError, status } from "@grpc/grpc-js";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { driftConfigSchema, startDriftDetector } from "../src/index.js";

const features = Array.from({ length: 20 }, (_, i) => `f${String(i + 1).padStart(2, "0")}`);
const shifted = new Set(["f03", "f07", "f12"]);
const windowMs = 60_000;
// Normalized Wasserstein of a clean 1 000-event window against the reference is ~0.04 but its tail
// reaches Evidently's 0.1; 2 000 events keep 17 clean features × 6 windows clear of it.
const eventsPerWindow = 2_000;
const t0 = Date.UTC(2026, 0, 5, 9, 0, 0);

/** Seeded standard normal draws, so every run sends the same data. */
function normals(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => normalDraw(uniform);
}

function referenceCsv(rows: number): string {
  const draw = normals(7);
  const lines = [features.join(",")];
  for (let i = 0; i < rows; i++) lines.push(features.map(() => draw().toFixed(6)).join(","));
  return `${lines.join("\n")}\n`;
}

describe("drift-detector on real Kafka and Redis", () => {
  const namespace = uniqueNamespace("drift");
  const brokers = inject("kafkaBrokers");
  const principals = makePrincipals("acme");
  let detector: RunningService;
  let client: DriftServiceClient;
  let findings: TopicCollector;
  let monitor: Monitor;

  const metadata = (token = principals.operator.token) => bearer(token);

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "argus-drift-"));
    const settings = join(dir, "drift.yaml");
    writeFileSync(
      settings,
      "models:\n  scorer:\n    window: 1m\n    allowedLateness: 5s\n    datasetDriftShare: 0.1\n",
    );
    const env = isolatedServiceEnv({ kafkaBrokers: brokers, redisUrl: inject("redisUrl") }, namespace, {
      ARGUS_API_KEYS: apiKeysJson([principals.operator, principals.viewer]),
      DRIFT_MODELS_FILE: settings,
      DRIFT_IDLE_PARTITION_MS: "3000",
      DRIFT_EVALUATE_INTERVAL_MS: "200",
    });
    detector = await startDriftDetector(loadConfig(driftConfigSchema, env));
    client = new DriftServiceClient(`127.0.0.1:${detector.grpcPort}`, credentials.createInsecure());
    findings = await collectTopic(brokers, `${namespace}.argus.findings.v1`);
    monitor = createMonitor({
      kafka: { brokers, clientId: "drift-test" },
      topic: `${namespace}.argus.inference.v1`,
      modelId: "scorer",
      modelVersion: "3",
      tenant: "acme",
      pseudonymization: { keys: { k: randomBytes(32) }, activeKeyId: "k" },
      lingerMs: 5,
      // The test sends windows of events in bursts and counts on every one arriving.
      whenFull: "wait",
    });
  });

  afterAll(async () => {
    client?.close();
    await monitor?.close();
    await findings?.stop();
    await detector?.stop();
  });

  function setBaseline(messages: SetBaselineRequest[]): Promise<SetBaselineResponse> {
    return new Promise((resolve, reject) => {
      // Streaming calls must carry a deadline (the server refuses unbounded streams).
      const call = client.setBaseline(metadata(), { deadline: Date.now() + 60_000 }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
      for (const message of messages) call.write(message);
      call.end();
    });
  }

  it("refuses a streaming upload without a deadline before reading it", async () => {
    const error = await new Promise<ServiceError>((resolve) => {
      const call = client.setBaseline(metadata(), (e) => resolve(e as ServiceError));
      call.end();
    });
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(error.details).toMatch(/SetBaseline is a streaming call: set a deadline/);
  });

  it("finds a 1-sd shift on exactly the 3 shifted features from window 4 on, and nothing before", async () => {
    const csv = Buffer.from(referenceCsv(5_000));
    // Streamed in uneven chunks that cut rows in half, as a large upload would arrive.
    const chunks: SetBaselineRequest[] = [];
    for (let at = 0; at < csv.length; at += 7_777)
      chunks.push({ part: { $case: "chunk", value: csv.subarray(at, at + 7_777) } });
    const { baseline } = await setBaseline([
      {
        part: {
          $case: "spec",
          value: {
            modelId: "scorer",
            source: BaselineSource.BASELINE_SOURCE_CSV,
            predictionColumn: "",
            scoreColumnPrefix: "",
            categoricalColumns: [],
            ignoredColumns: [],
            windowStart: undefined,
            description: "training set 2026-01",
          },
        },
      },
      ...chunks,
    ]);
    expect(baseline?.version).toBe(1);
    expect(baseline?.rowCount).toBe(5_000);
    expect(baseline?.features).toEqual(features);

    const draw = normals(99);
    for (let window = 1; window <= 6; window++) {
      for (let i = 0; i < eventsPerWindow; i++) {
        const values: Record<string, number> = {};
        for (const feature of features)
          values[feature] = draw() + (window >= 4 && shifted.has(feature) ? 1 : 0);
        await monitor.record({
          clientId: `client-${i % 40}`,
          eventTime: new Date(t0 + (window - 1) * windowMs + Math.floor((i * windowMs) / eventsPerWindow)),
          features: values,
          output: { regression: 0 },
        });
      }
    }
    // Events far ahead push the watermark past window 6 (they open windows of their own).
    for (let i = 0; i < 40; i++) {
      await monitor.record({
        clientId: `client-${i}`,
        eventTime: new Date(t0 + 8 * windowMs),
        features: {},
        output: { regression: 0 },
      });
    }
    await monitor.flush();

    const windowOf = (finding: Finding) =>
      (Date.parse(finding.evidence.window_start as string) - t0) / windowMs + 1;
    // Findings are keyed by fingerprint, so they arrive over several partitions in any order:
    // wait until every feature has its finding (firing or resolving) for each of the 6 windows.
    const complete = (messages: { value: Buffer | null }[]) => {
      const perWindow = new Map<number, Set<string>>();
      for (const m of messages) {
        const finding = Finding.decode(m.value as Buffer);
        const set = perWindow.get(windowOf(finding)) ?? new Set();
        set.add(finding.subject?.feature as string);
        perWindow.set(windowOf(finding), set);
      }
      return [1, 2, 3, 4, 5, 6].every((w) =>
        [...features, "__dataset__"].every((f) => perWindow.get(w)?.has(f)),
      );
    };
    const all = await findings.waitUntil(complete, 90_000, "a finding per feature for windows 1-6");
    const firing = all
      .map((m) => Finding.decode(m.value as Buffer))
      .filter((f) => f.kind === FindingKind.FINDING_KIND_DRIFT && !f.resolved);
    const driftedBy = (window: number) =>
      firing
        .filter((f) => windowOf(f) === window)
        .map((f) => f.subject?.feature as string)
        .filter((feature) => !feature.startsWith("__"))
        .sort();
    for (const window of [1, 2, 3]) expect(driftedBy(window), `window ${window}`).toEqual([]);
    for (const window of [4, 5, 6])
      expect(driftedBy(window), `window ${window}`).toEqual([...shifted].sort());
    const datasetLevel = firing
      .filter((f) => f.subject?.feature === "__dataset__")
      .map(windowOf)
      .sort();
    expect(datasetLevel).toEqual([4, 5, 6]);

    const { report } = await new Promise<GetDriftReportResponse>((resolve, reject) =>
      client.getDriftReport(
        { modelId: "scorer", windowStart: new Date(t0 + 4 * windowMs) },
        metadata(principals.viewer.token),
        (e, r) => (e ? reject(e) : resolve(r)),
      ),
    );
    expect(report?.status).toBe(ReportStatus.REPORT_STATUS_DRIFT);
    expect(report?.baselineVersion).toBe(1);
    expect(report?.eventCount).toBe(eventsPerWindow);
    expect(report?.lateEventCount).toBe(0);
    expect(report?.features.find((f) => f.feature === "f03")?.test).toBe("wasserstein");

    const viewer = metadata(principals.viewer.token);
    const range = { from: new Date(t0), to: new Date(t0 + 5 * windowMs) };
    const { windows } = await unary<ListWindowsResponse>((cb) =>
      client.listWindows({ modelId: "scorer", ...range, pageSize: 0 }, viewer, cb),
    );
    expect(windows.map((w) => w.driftedFeatures)).toEqual([
      ...Array(3).fill([...shifted].sort()),
      ...Array(3).fill([]),
    ]);
    const { points } = await unary<GetFeatureHistoryResponse>((cb) =>
      client.getFeatureHistory({ modelId: "scorer", feature: "f07", ...range }, viewer, cb),
    );
    expect(points.map((p) => p.drifted)).toEqual([false, false, false, true, true, true]);
    const { models } = await unary<ListModelsResponse>((cb) => client.listModels({}, viewer, cb));
    expect(models.find((m) => m.modelId === "scorer")?.baselineVersion).toBe(1);

    // An evaluated window is packed (one field for its sketches, not one per bucket)…
    const redis = new Redis(inject("redisUrl"));
    const packedWindow = await redis.hgetall(`${namespace}:drift-detector:win:{scorer}:${t0 + 4 * windowMs}`);
    await redis.quit();
    expect(Object.keys(packedWindow).filter((field) => field.includes(":d:"))).toEqual([]);
    expect(packedWindow.k).toBeDefined();
    // …and freezing it, from the packed form, makes it the next baseline version.
    const frozen = await setBaseline([
      {
        part: {
          $case: "spec",
          value: {
            modelId: "scorer",
            source: BaselineSource.BASELINE_SOURCE_FROZEN_WINDOW,
            predictionColumn: "",
            scoreColumnPrefix: "",
            categoricalColumns: [],
            ignoredColumns: [],
            windowStart: new Date(t0 + 4 * windowMs),
            description: "week after the release",
          },
        },
      },
    ]);
    expect(frozen.baseline?.version).toBe(2);
    expect(frozen.baseline?.rowCount).toBe(eventsPerWindow);
    expect(frozen.baseline?.features).toEqual(features);
  });

  it("raises a performance-drift finding at the change point when labels start to disagree", async () => {
    const model = "labeller";
    const labels = 1_200;
    const flipAt = 600;
    const random = normals(5);
    const predicted: string[] = [];
    const labelMonitor = createMonitor({
      kafka: { brokers, clientId: "drift-test-labels" },
      topic: `${namespace}.argus.inference.v1`,
      modelId: model,
      modelVersion: "1",
      tenant: "acme",
      pseudonymization: { keys: { k: randomBytes(32) }, activeKeyId: "k" },
      whenFull: "wait",
      lingerMs: 5,
    });
    for (let i = 0; i < labels; i++) {
      const label = random() > 0 ? "approve" : "deny";
      predicted.push(label);
      await labelMonitor.record({
        clientId: `c-${i % 25}`,
        requestId: `req-${i}`,
        eventTime: new Date(t0 + 20 * windowMs + i * 10),
        features: { x: random() },
        output: { label, scores: { [label]: 0.9 } },
      });
    }
    await labelMonitor.close();
    // Labels may only be joined once their predictions are stored: wait for the last one.
    const redis = new Redis(inject("redisUrl"));
    const lastPrediction = `${namespace}:drift-detector:pred:{${model}}:req-${labels - 1}`;
    await vi.waitFor(async () => expect(await redis.exists(lastPrediction)).toBe(1), {
      timeout: 30_000,
      interval: 100,
    });
    await redis.quit();

    // The model is right 95 % of the time, then the ground truth turns against it.
    const producer = await testProducer(brokers);
    const noise = normals(11);
    // Labels given a day after the predictions, one a millisecond: the finding carries their time.
    const labelledFrom = t0 + 20 * windowMs + 24 * 3_600_000;
    const feedback = predicted.map((label, i) => {
      const agrees = noise() > -1.645 !== i >= flipAt;
      const truth = agrees ? label : label === "approve" ? "deny" : "approve";
      return {
        key: model,
        value: Buffer.from(
          FeedbackEvent.encode(
            FeedbackEvent.fromPartial({
              feedbackId: `fb-${i}`,
              modelId: model,
              tenant: "acme",
              source: "annotators",
              eventTime: new Date(labelledFrom + i),
              target: {
                $case: "label",
                value: { requestId: `req-${i}`, value: { $case: "label", value: truth } },
              },
            }),
          ).finish(),
        ),
      };
    });
    await producer.send({ topic: `${namespace}.argus.feedback.v1`, messages: feedback });
    await producer.disconnect();

    const found = await findings.waitUntil(
      (messages) =>
        messages.some((m) => Finding.decode(m.value as Buffer).subject?.feature === "__performance__"),
      60_000,
      "the performance finding",
    );
    const performance = found
      .map((m) => Finding.decode(m.value as Buffer))
      .filter((f) => f.subject?.feature === "__performance__");
    const first = Math.min(...performance.map((f) => Number(f.evidence.label_index)));
    expect(first).toBeGreaterThan(flipAt);
    expect(first).toBeLessThan(flipAt + 300);
    expect(performance[0]?.modelId).toBe(model);
    for (const finding of performance)
      expect(finding.observedAt?.getTime()).toBe(labelledFrom + Number(finding.evidence.label_index) - 1);
  });

  it("closes and reports a quiet model's last window with no later event to push it", async () => {
    // Replayed traffic from long ago, then nothing: only the wall time that passes can close it.
    const lastWindow = t0 + 200 * windowMs;
    for (let i = 0; i < 50; i++) {
      await monitor.record({
        clientId: `client-${i}`,
        eventTime: new Date(lastWindow + windowMs - 5_000 + i),
        features: Object.fromEntries(features.map((feature) => [feature, i / 50])),
        output: { regression: 0 },
      });
    }
    await monitor.flush();
    const viewer = metadata(principals.viewer.token);
    const deadline = Date.now() + 60_000;
    let report: GetDriftReportResponse["report"];
    while (report === undefined && Date.now() < deadline) {
      report = await new Promise<GetDriftReportResponse["report"]>((resolve) =>
        client.getDriftReport({ modelId: "scorer", windowStart: new Date(lastWindow) }, viewer, (e, r) =>
          resolve(e ? undefined : r?.report),
        ),
      );
      if (report === undefined) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(report?.eventCount).toBe(50);
    expect(report?.lateEventCount).toBe(0);
  });

  it("serves a model under the id its producer chose (org/fraud-v2@eu) and refuses only ids Kafka refuses too", async () => {
    const modelId = "org/fraud-v2@eu";
    const producerMonitor = createMonitor({
      kafka: { brokers, clientId: "drift-test-ids" },
      topic: `${namespace}.argus.inference.v1`,
      modelId,
      modelVersion: "1",
      tenant: "acme",
      pseudonymization: { keys: { k: randomBytes(32) }, activeKeyId: "k" },
      lingerMs: 5,
    });
    for (let i = 0; i < 20; i++)
      await producerMonitor.record({
        clientId: `client-${i}`,
        eventTime: new Date(t0 + 400 * windowMs + i),
        features: { amount: i },
        output: { regression: 0 },
      });
    await producerMonitor.close();
    const viewer = metadata(principals.viewer.token);
    await vi.waitFor(
      async () => {
        const { models } = await unary<ListModelsResponse>((cb) => client.listModels({}, viewer, cb));
        expect(models.map((m) => m.modelId)).toContain(modelId);
      },
      { timeout: 30_000, interval: 200 },
    );
    const { baseline } = await setBaseline([
      {
        part: {
          $case: "spec",
          value: BaselineSpec.fromPartial({ modelId, source: BaselineSource.BASELINE_SOURCE_CSV }),
        },
      },
      { part: { $case: "chunk", value: Buffer.from("amount\n1\n2\n3\n") } },
    ]);
    expect(baseline?.modelId).toBe(modelId);
    expect(baseline?.rowCount).toBe(3);
    const { models } = await unary<ListModelsResponse>((cb) => client.listModels({}, viewer, cb));
    expect(models.find((m) => m.modelId === modelId)?.baselineVersion).toBe(1);

    const tooLong = await new Promise<ServiceError>((resolve) =>
      client.getDriftReport({ modelId: "m".repeat(257), windowStart: undefined }, viewer, (e) =>
        resolve(e as ServiceError),
      ),
    );
    expect(tooLong.code).toBe(status.INVALID_ARGUMENT);
    expect(tooLong.details).toMatch(/^model_id must be 1-256 characters/);
  });

  it("answers a malformed request with INVALID_ARGUMENT naming the field", async () => {
    const error = await new Promise<ServiceError>((resolve) =>
      client.getDriftReport({ modelId: "", windowStart: undefined }, metadata(principals.viewer.token), (e) =>
        resolve(e as ServiceError),
      ),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain("model_id");
  });
});
