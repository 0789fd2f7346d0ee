import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BaselineSource,
  DriftReport,
  DriftServiceClient,
  InferenceEvent,
  type ListWindowsResponse,
  type SetBaselineRequest,
} from "@argus/proto";
import { normalDraw, seededUniform } from "@argus/stats";
import {
  apiKeysJson,
  freePorts,
  isolatedServiceEnv,
  killService,
  makePrincipals,
  type ServiceProcess,
  spawnService,
  stopService,
  testProducer,
  uniqueNamespace,
  waitReady,
} from "@argus/testkit";
import { credentials, Metadata } from "@grpc/grpc-js";
import { Redis } from "ioredis";
import kafkajs from "kafkajs";
import { afterAll, describe, expect, inject, it } from "vitest";

// The stream both runs consume: 200 000 events over 10 one-minute windows, from 200 clients.
const windows = 10;
const perWindow = 20_000;
const windowMs = 60_000;
const t0 = Date.UTC(2026, 2, 2, 12, 0, 0);
const numericFeatures = ["f1", "f2", "f3", "f4", "f5", "f6"];
const segments = ["retail", "smb", "enterprise", "public", "edu"];
const partitions = 6;

/** The encoded stream, built once; window 7 on drifts (f2 shifted, segment mix changed). */
function buildStream(): { key: string; value: Buffer }[] {
  const u = seededUniform(2026);
  const normal = () => normalDraw(u);
  const messages: { key: string; value: Buffer }[] = [];
  for (let w = 0; w < windows; w++) {
    for (let i = 0; i < perWindow; i++) {
      const features: InferenceEvent["features"] = {};
      for (const name of numericFeatures) {
        features[name] = { kind: { $case: "number", value: normal() + (w >= 7 && name === "f2" ? 0.8 : 0) } };
      }
      const segment = w >= 7 && u() < 0.3 ? "edu" : (segments[Math.floor(u() * segments.length)] as string);
      features.segment = { kind: { $case: "category", value: segment } };
      const approve = u();
      const client = `client-${i % 200}`;
      messages.push({
        key: client,
        value: Buffer.from(
          InferenceEvent.encode({
            eventId: `00000000-0000-4000-8000-${String(w * perWindow + i).padStart(12, "0")}`,
            modelId: "fleet",
            modelVersion: "7",
            requestId: "",
            clientId: client,
            tenant: "acme",
            eventTime: new Date(t0 + w * windowMs + Math.floor((i * windowMs) / perWindow)),
            features,
            output: {
              kind: {
                $case: "classification",
                value: { label: approve > 0.5 ? "approve" : "deny", scores: { approve, deny: 1 - approve } },
              },
            },
            latencyMs: 5,
            inputTokens: 0,
            outputTokens: 0,
            clientIdKeyId: "",
          }).finish(),
        ),
      });
    }
  }
  // Far-ahead events on every client push each partition's watermark past window 10.
  for (let c = 0; c < 200; c++) {
    messages.push({
      key: `client-${c}`,
      value: Buffer.from(
        InferenceEvent.encode(
          InferenceEvent.fromPartial({
            eventId: `00000000-0000-4000-9000-${String(c).padStart(12, "0")}`,
            modelId: "fleet",
            tenant: "acme",
            clientId: `client-${c}`,
            eventTime: new Date(t0 + (windows + 3) * windowMs),
          }),
        ).finish(),
      ),
    });
  }
  return messages;
}

function referenceCsv(): string {
  const u = seededUniform(77);
  const normal = () => normalDraw(u);
  const lines = [[...numericFeatures, "segment"].join(",")];
  for (let i = 0; i < 4_000; i++) {
    lines.push(
      [...numericFeatures.map(() => normal().toFixed(5)), segments[Math.floor(u() * segments.length)]].join(
        ",",
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

describe("the same stream through 1 replica and through 3 (one SIGKILLed mid-stream)", () => {
  const brokers = inject("kafkaBrokers");
  const redisUrl = inject("redisUrl");
  const principals = makePrincipals("acme");
  const running: ServiceProcess[] = [];
  const stream = buildStream();
  const csv = Buffer.from(referenceCsv());

  afterAll(async () => {
    await Promise.all(running.map((service) => stopService(service, 10_000)));
  });

  const settings = join(mkdtempSync(join(tmpdir(), "argus-replicas-")), "drift.yaml");
  writeFileSync(settings, "models:\n  fleet:\n    window: 1m\n    allowedLateness: 5s\n");

  async function startReplica(namespace: string): Promise<ServiceProcess> {
    const [http, grpc] = await freePorts(2);
    const env = isolatedServiceEnv({ kafkaBrokers: brokers, redisUrl }, namespace, {
      DRIFT_MODELS_FILE: settings,
      ARGUS_API_KEYS: apiKeysJson([principals.operator]),
      KAFKA_SESSION_TIMEOUT_MS: "6000",
      DRIFT_IDLE_PARTITION_MS: "20000",
      DRIFT_EVALUATE_INTERVAL_MS: "250",
      DRIFT_EVALUATION_LEASE_MS: "3000",
      KAFKA_TOPIC_PARTITIONS: String(partitions),
      LOG_LEVEL: "warn",
    });
    const replica = spawnService("drift-detector", env, { http: http as number, grpc: grpc as number });
    running.push(replica);
    await waitReady(replica, 60_000);
    return replica;
  }

  function client(replica: ServiceProcess): DriftServiceClient {
    return new DriftServiceClient(`127.0.0.1:${replica.grpcPort}`, credentials.createInsecure());
  }

  function metadata(): Metadata {
    const m = new Metadata();
    m.set("authorization", `Bearer ${principals.operator.token}`);
    return m;
  }

  async function setBaseline(replica: ServiceProcess): Promise<void> {
    const drift = client(replica);
    await new Promise<void>((resolve, reject) => {
      const call = drift.setBaseline(metadata(), { deadline: Date.now() + 60_000 }, (error) =>
        error ? reject(error) : resolve(),
      );
      const spec: SetBaselineRequest = {
        part: {
          $case: "spec",
          value: {
            modelId: "fleet",
            source: BaselineSource.BASELINE_SOURCE_CSV,
            predictionColumn: "",
            scoreColumnPrefix: "",
            categoricalColumns: [],
            ignoredColumns: [],
            windowStart: undefined,
            description: "reference",
          },
        },
      };
      call.write(spec);
      call.write({ part: { $case: "chunk", value: csv } });
      call.end();
    });
    drift.close();
  }

  async function produce(namespace: string): Promise<void> {
    const producer = await testProducer(brokers);
    for (let at = 0; at < stream.length; at += 5_000) {
      await producer.send({
        topic: `${namespace}.argus.inference.v1`,
        messages: stream.slice(at, at + 5_000),
      });
    }
    await producer.disconnect();
  }

  async function eventsApplied(redis: Redis, namespace: string): Promise<number> {
    let total = 0;
    for (let w = 0; w < windows; w++) {
      total += Number(
        (await redis.hget(`${namespace}:drift-detector:win:{fleet}:${t0 + w * windowMs}`, "n")) ?? 0,
      );
    }
    return total;
  }

  /** Every window's report, without the evaluation time (the only field allowed to differ). */
  async function reports(replica: ServiceProcess): Promise<unknown[]> {
    const drift = client(replica);
    const deadline = Date.now() + 60_000;
    let listed: ListWindowsResponse = { windows: [] };
    while (Date.now() < deadline) {
      listed = await new Promise<ListWindowsResponse>((resolve, reject) =>
        drift.listWindows(
          {
            modelId: "fleet",
            from: new Date(t0),
            to: new Date(t0 + (windows - 1) * windowMs),
            pageSize: 100,
          },
          metadata(),
          (e, r) => (e ? reject(e) : resolve(r)),
        ),
      );
      if (listed.windows.length === windows) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (listed.windows.length !== windows) {
      for (const service of running)
        process.stderr.write(`--- ${service.name}\n${service.output.slice(-30).join("\n")}\n`);
    }
    expect(listed.windows).toHaveLength(windows);
    const result: unknown[] = [];
    for (let w = 0; w < windows; w++) {
      const { report } = await new Promise<{ report?: DriftReport }>((resolve, reject) =>
        drift.getDriftReport(
          { modelId: "fleet", windowStart: new Date(t0 + w * windowMs) },
          metadata(),
          (e, r) => (e ? reject(e) : resolve(r)),
        ),
      );
      const json = DriftReport.toJSON(report as DriftReport) as Record<string, unknown>;
      delete json.evaluatedAt;
      result.push(json);
    }
    drift.close();
    return result;
  }

  async function createTopic(namespace: string): Promise<void> {
    const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: `${namespace}.argus.inference.v1`, numPartitions: partitions }],
      waitForLeaders: true,
    });
    await admin.disconnect();
  }

  it("gives identical window counts and identical reports", async () => {
    const redis = new Redis(redisUrl);
    try {
      const log = (line: string) => process.stderr.write(`[replicas] ${line}\n`);
      const single = uniqueNamespace("one");
      await createTopic(single);
      const alone = await startReplica(single);
      await setBaseline(alone);
      await produce(single);
      log("single replica: stream produced");
      const expected = await reports(alone);
      log("single replica: reports read");

      const triple = uniqueNamespace("three");
      await createTopic(triple);
      const replicas = [await startReplica(triple), await startReplica(triple), await startReplica(triple)];
      await setBaseline(replicas[0] as ServiceProcess);
      log("three replicas started");
      const producing = produce(triple);
      // SIGKILL one replica once about a third of the stream is in, then bring it back.
      const waitStarted = Date.now();
      while ((await eventsApplied(redis, triple)) < (windows * perWindow) / 3) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (Date.now() - waitStarted > 30_000) {
          log(`stuck at ${await eventsApplied(redis, triple)}`);
          for (const service of replicas) log(`--- ${service.output.slice(-8).join("\n")}`);
          throw new Error("stuck");
        }
      }
      await killService(replicas[1] as ServiceProcess);
      log("one replica killed");
      const appliedAtKill = await eventsApplied(redis, triple);
      await producing;
      log("stream produced");
      replicas[1] = await startReplica(triple);
      log("replica restarted");
      const actual = await reports(replicas[0] as ServiceProcess);

      expect(appliedAtKill).toBeLessThan(windows * perWindow);
      expect(await eventsApplied(redis, triple)).toBe(windows * perWindow);
      expect((actual as { eventCount: string }[]).map((r) => Number(r.eventCount))).toEqual(
        Array(windows).fill(perWindow),
      );
      expect(actual).toEqual(expected);
      // And the stream's drift is there: window 8 on is reported as drifted, before is not.
      expect((expected as { status: string }[]).map((r) => r.status)).toEqual([
        ...Array(7).fill("REPORT_STATUS_NO_DRIFT"),
        ...Array(3).fill("REPORT_STATUS_DRIFT"),
      ]);
    } finally {
      await redis.quit();
    }
  }, 400_000);
});
