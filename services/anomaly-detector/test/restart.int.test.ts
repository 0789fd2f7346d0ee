import { fileURLToPath } from "node:url";
import { Finding } from "@argus/proto";
import { createEvidenceSealer, keyspace } from "@argus/runtime";
import { seededUniform } from "@argus/stats";
import {
  collectTopic,
  freePorts,
  isolatedServiceEnv,
  killService,
  type ServiceProcess,
  spawnService,
  stopService,
  testEvidenceKeys,
  testProducer,
  uniqueNamespace,
  waitReady,
} from "@argus/testkit";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { AnomalyStore } from "../src/adapters/anomaly-store.js";
import { type ClientState, clientQueries } from "../src/domain/client-state.js";
import { encode, type Planned, traffic } from "./traffic.js";

const schemaFile = fileURLToPath(new URL("../config/models.example.yaml", import.meta.url));

describe("anomaly-detector killed mid-stream and restarted", () => {
  const brokers = inject("kafkaBrokers");
  const redisUrl = inject("redisUrl");
  const running: ServiceProcess[] = [];
  const planned = traffic();
  const clients = [...new Set(planned.map((p) => p.client))];

  afterAll(async () => {
    await Promise.all(running.map((service) => stopService(service, 10_000)));
  });

  async function start(namespace: string): Promise<ServiceProcess> {
    const [http, grpc] = await freePorts(2);
    const env = isolatedServiceEnv({ kafkaBrokers: brokers, redisUrl }, namespace, {
      ANOMALY_INPUT_SCHEMAS_FILE: schemaFile,
      ANOMALY_RESOURCE_WARMUP: "100",
      KAFKA_SESSION_TIMEOUT_MS: "6000",
    });
    const service = spawnService("anomaly-detector", env, { http: http as number, grpc: grpc as number });
    running.push(service);
    await waitReady(service, 60_000);
    return service;
  }

  // Features are drawn in plan order, once, so both runs send byte-identical events.
  const random = seededUniform(7);
  const encoded = planned.map((p) => ({ key: p.client, value: encode(p, random) }));

  async function produce(namespace: string, events: Planned[]): Promise<void> {
    const producer = await testProducer(brokers);
    for (let at = 0; at < events.length; at += 250) {
      await producer.send({
        topic: `${namespace}.argus.inference.v1`,
        messages: events
          .slice(at, at + 250)
          .map((p) => encoded[planned.indexOf(p)] as { key: string; value: Buffer }),
      });
    }
    await producer.disconnect();
  }

  /** Client states as the service reads them (risk reasons are sealed at rest, per namespace). */
  async function states(redis: Redis, namespace: string): Promise<Record<string, unknown>> {
    const sealer = createEvidenceSealer(testEvidenceKeys.keys, testEvidenceKeys.keyId);
    const store = new AnomalyStore(redis, keyspace(namespace, "anomaly-detector"), 60_000, sealer);
    const values = await store.clients("acme", clients);
    return Object.fromEntries(clients.map((c, i) => [c, values[i] ?? null]));
  }

  async function applied(redis: Redis, namespace: string): Promise<number> {
    return Object.values(await states(redis, namespace)).reduce<number>(
      (sum, state) => sum + (state ? clientQueries(state as ClientState) : 0),
      0,
    );
  }

  function summaries(all: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(
      Object.entries(all).map(([client, state]) => [
        client,
        state === null
          ? null
          : Object.fromEntries(
              Object.entries((state as ClientState).models).map(([model, m]) => [
                model,
                { queries: m.queries, lastAtMs: m.lastAtMs, alarmed: Object.keys(m.alarmedAtMs).sort() },
              ]),
            ),
      ]),
    );
  }

  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * The alarms raised, as `kind client` with the distinct finding ids behind each (a replay may
   * repeat a finding; the set is what the alerter acts on).
   */
  async function alarms(namespace: string, expectedAtLeast: number): Promise<Map<string, Set<string>>> {
    const collector = await collectTopic(brokers, `${namespace}.argus.findings.v1`);
    await collector.waitUntil((m) => m.length >= expectedAtLeast, 30_000, "findings");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const raised = new Map<string, Set<string>>();
    for (const message of collector.messages) {
      const finding = Finding.decode(message.value as Buffer);
      const alarm = `${finding.kind} ${finding.subject?.clientId}`;
      raised.set(alarm, (raised.get(alarm) ?? new Set()).add(finding.findingId));
    }
    await collector.stop();
    return new Map([...raised].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  it("ends with the same findings and the same client state as an uninterrupted run", async () => {
    const redis = new Redis(redisUrl);
    try {
      const uninterrupted = uniqueNamespace("steady");
      await start(uninterrupted);
      await produce(uninterrupted, planned);
      await until(
        async () => (await applied(redis, uninterrupted)) === planned.length,
        "the uninterrupted run",
      );
      const expectedStates = await states(redis, uninterrupted);
      const expectedAlarms = await alarms(uninterrupted, 1);

      const crashed = uniqueNamespace("crash");
      const victim = await start(crashed);
      // Half the stream, then SIGKILL as soon as a third has been applied: most likely between a
      // batch's Redis write and its offset commit, so the restart replays records already applied.
      const half = Math.floor(planned.length / 2);
      const producing = produce(crashed, planned.slice(0, half));
      await until(async () => (await applied(redis, crashed)) >= planned.length / 3, "a third of the stream");
      await killService(victim);
      const atKill = await applied(redis, crashed);
      await producing;
      await produce(crashed, planned.slice(half));
      await start(crashed);
      await until(async () => (await applied(redis, crashed)) === planned.length, "the restarted run");

      expect(atKill).toBeLessThan(planned.length);
      // Counts, times and alarms per client and model are exact; the statistics judged against the
      // model's population (calibrated per batch from every partition) may differ with batch
      // boundaries, which a crash moves (docs/decisions.md).
      expect(summaries(await states(redis, crashed))).toEqual(summaries(expectedStates));
      // The same alarms, each raised once (one finding id). Not the same ids: an id names the event
      // that raised the alarm, and the request-rate rule's threshold comes from the population's
      // rates, calibrated per batch, so a crash that moves batch boundaries can move the alarm by a
      // few of the burst's events (seen: event 1190 uninterrupted, 1193 after the crash).
      const crashedAlarms = await alarms(crashed, expectedAlarms.size);
      expect([...crashedAlarms.keys()]).toEqual([...expectedAlarms.keys()]);
      for (const ids of [...crashedAlarms.values(), ...expectedAlarms.values()]) expect(ids.size).toBe(1);
      // Not a vacuous comparison: the run flagged both attackers and gave them risk.
      expect(expectedAlarms.size).toBe(2);
      expect((expectedStates["burst-1"] as { risk: { score: number } }).risk.score).toBeGreaterThan(0);
    } finally {
      await redis.quit();
    }
  }, 300_000);
});
