import { createHash, randomBytes, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { alerterConfigSchema, startAlerter } from "@argus/alerter";
import { anomalyConfigSchema, startAnomalyDetector } from "@argus/anomaly-detector";
import {
  type AcknowledgeRequest,
  type AcknowledgeResponse,
  type Alert,
  AlertServiceClient,
  type AlertServiceEraseClientRequest,
  type AlertServiceEraseClientResponse,
  AnomalyServiceClient,
  AuditServiceClient,
  type EraseClientRequest,
  type EraseClientResponse,
  type GetAlertRequest,
  type GetAlertResponse,
  type GetClientRiskRequest,
  type GetClientRiskResponse,
  InferenceEvent,
  type ListAlertsRequest,
  type ListAlertsResponse,
  type ListAuditEntriesResponse,
  type ListDeadLettersResponse,
  type ListRiskyClientsResponse,
} from "@argus/proto";
import { createLogger, createRedis, loadConfig, type Redis, type RunningService } from "@argus/runtime";
import {
  apiKeysJson,
  bearer,
  grpcStatus,
  isolatedServiceEnv,
  localClient,
  makePrincipals,
  startWebhookReceiver,
  testProducer,
  unary,
  uniqueNamespace,
  type WebhookReceiver,
} from "@argus/testkit";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const schemaFile = fileURLToPath(
  new URL("../../../services/anomaly-detector/config/models.example.yaml", import.meta.url),
);

/** A pseudonym as the SDK makes it: `p1.` and a base64url HMAC-SHA256. */
const pseudonym = () => `p1.${randomBytes(32).toString("base64url")}`;
const digest = (id: string) => createHash("sha256").update(id).digest("hex");

/** Reproducible uniform numbers in [0, 1) (a 32-bit LCG): the same traffic on every run. */
let seed = 42;
const random = () => {
  seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0;
  return seed / 2 ** 32;
};

/**
 * Every Redis key of `namespace` with every string in it: key names, string values, hash fields and
 * values, set and sorted-set members, list items and stream fields.
 */
async function everything(redis: Redis, namespace: string): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${namespace}:*`, "COUNT", 1_000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let values: string[] = [];
      if (type === "string") values = [(await redis.get(key)) ?? ""];
      else if (type === "hash") values = Object.entries(await redis.hgetall(key)).flat();
      else if (type === "set") values = await redis.smembers(key);
      else if (type === "zset") values = await redis.zrange(key, 0, -1);
      else if (type === "list") values = await redis.lrange(key, 0, -1);
      else if (type === "stream")
        values = ((await redis.xrange(key, "-", "+")) as [string, string[]][]).flatMap(([, f]) => f);
      else if (type !== "none") throw new Error(`${key}: a ${type}, which this scan cannot read`);
      found.set(key, values);
    }
  } while (cursor !== "0");
  return found;
}

/** Where `needle` occurs: keys named with it, and keys holding it. */
function occurrences(all: Map<string, string[]>, needle: string): string[] {
  const where: string[] = [];
  for (const [key, values] of all) {
    if (key.includes(needle)) where.push(`key ${key}`);
    if (values.some((value) => value.includes(needle))) where.push(`value of ${key}`);
  }
  return where;
}

async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("erasure of a client (GDPR Art. 17) across the anomaly-detector and the alerter", () => {
  const namespace = uniqueNamespace("erase");
  const stack = { kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") };
  const acme = makePrincipals("acme");
  const globex = makePrincipals("globex");
  const erased = pseudonym();
  const kept = pseudonym();
  const sent = new Map<string, number>();
  let receiver: WebhookReceiver;
  let detector: RunningService;
  let alerter: RunningService;
  let producer: Awaited<ReturnType<typeof testProducer>>;
  let redis: Redis;
  let anomaly: AnomalyServiceClient;
  let alerts: AlertServiceClient;
  let audit: AuditServiceClient;

  beforeAll(async () => {
    // The receiver verifies another secret than the alerter signs with: every notification is
    // refused (401) and dead-lettered, so notifications about the client stay in Redis to be erased.
    receiver = await startWebhookReceiver(`whsec_${randomBytes(32).toString("base64")}`);
    const env = isolatedServiceEnv(stack, namespace, {
      ANOMALY_INPUT_SCHEMAS_FILE: schemaFile,
      ANOMALY_RATE_FALLBACK_PER_MIN: "10",
      ANOMALY_OUTLIER_WARMUP: "50",
      ANOMALY_OUTLIER_CALIBRATION: "50",
      ALERTER_WEBHOOK_URL: receiver.url,
      ALERTER_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString("base64")}`,
      ALERTER_EGRESS_ALLOW: "127.0.0.1/32",
      ALERTER_POLL_MS: "50",
      // Client alerts wait 30 s by default to count a burst before the first notification.
      ALERTER_CLIENT_GROUP_WAIT: "1s",
      ARGUS_API_KEYS: apiKeysJson([...Object.values(acme), ...Object.values(globex)]),
    });
    detector = await startAnomalyDetector(loadConfig(anomalyConfigSchema, env));
    alerter = await startAlerter(loadConfig(alerterConfigSchema, env));
    producer = await testProducer(stack.kafkaBrokers);
    redis = createRedis(stack.redisUrl, createLogger("erasure-test", "silent"));
    anomaly = localClient(AnomalyServiceClient, detector.grpcPort);
    alerts = localClient(AlertServiceClient, alerter.grpcPort);
    audit = localClient(AuditServiceClient, alerter.grpcPort);
  });

  afterAll(async () => {
    anomaly?.close();
    alerts?.close();
    audit?.close();
    redis?.disconnect();
    await producer?.disconnect();
    await detector?.stop();
    await alerter?.stop();
    await receiver?.close();
  });

  async function send(clientId: string, count: number, age = 41): Promise<void> {
    await producer.send({
      topic: `${namespace}.argus.inference.v1`,
      messages: Array.from({ length: count }, () => ({
        key: clientId,
        value: Buffer.from(
          InferenceEvent.encode(
            InferenceEvent.fromPartial({
              eventId: randomUUID(),
              modelId: "credit-risk",
              modelVersion: "1.0.0",
              clientId,
              tenant: "acme",
              eventTime: new Date(),
              features: {
                age: { kind: { $case: "number", value: age } },
                income: { kind: { $case: "number", value: 30_000 + 40_000 * random() } },
                debt_ratio: { kind: { $case: "number", value: 0.1 + random() } },
                employment: { kind: { $case: "category", value: "employed" } },
              },
              output: {
                kind: { $case: "classification", value: { label: "approve", scores: { approve: 0.7 } } },
              },
              latencyMs: 5,
            }),
          ).finish(),
        ),
      })),
    });
    sent.set(clientId, (sent.get(clientId) ?? 0) + count);
  }

  const riskOf = (clientId: string, token = acme.viewer.token) =>
    unary<GetClientRiskResponse>((cb) =>
      anomaly.getClientRisk({ clientId } satisfies GetClientRiskRequest, bearer(token), cb),
    ).then((response) => response.risk);
  const listAlerts = () =>
    unary<ListAlertsResponse>((cb) =>
      alerts.listAlerts(
        { pageSize: 0, pageToken: "", state: 0, modelId: "", matchers: [] } satisfies ListAlertsRequest,
        bearer(acme.viewer.token),
        cb,
      ),
    ).then((response) => response.alerts);
  const alertOf = (clientId: string, list: Alert[]) => list.find((alert) => alert.labels.client === clientId);
  const sharedAlert = (list: Alert[]) => list.find((alert) => alert.labels.alertname === "InputViolation");
  const deadLetters = () =>
    unary<ListDeadLettersResponse>((cb) =>
      alerts.listDeadLetters({ pageSize: 0, pageToken: "" }, bearer(acme.viewer.token), cb),
    ).then((response) => response.deadLetters);
  const eraseInAnomaly = (clientId: string, token: string) =>
    unary<EraseClientResponse>((cb) =>
      anomaly.eraseClient({ clientId } satisfies EraseClientRequest, bearer(token), cb),
    );
  const eraseInAlerter = (clientId: string, token: string) =>
    unary<AlertServiceEraseClientResponse>((cb) =>
      alerts.eraseClient({ clientId } satisfies AlertServiceEraseClientRequest, bearer(token), cb),
    );

  /** Until the detectors applied every event and the alerter every finding, and the outbox is idle. */
  async function settled(): Promise<void> {
    for (const [clientId, count] of sent)
      await eventually(
        () => riskOf(clientId),
        (risk) => risk?.queries === count,
        `${clientId}'s events`,
      );
    let lastDead = -1;
    let stableSince = Date.now();
    await eventually(
      async () => {
        const [dead, due] = await Promise.all([
          deadLetters(),
          redis.zcard(`${namespace}:alerter:outbox:due`),
        ]);
        if (dead.length !== lastDead || due > 0) {
          lastDead = dead.length;
          stableSince = Date.now();
        }
        return Date.now() - stableSince;
      },
      (quietMs) => quietMs > 2_000,
      "a quiet outbox",
    );
  }

  it("removes the client everywhere in Redis, keeps the other client, and audits both erasures", async () => {
    // Both clients abuse the rate limit (a SuspiciousClient alert each, labelled with the client);
    // the kept client breaks the schema first and the erased one last, so the model-level
    // InputViolation alert carries the erased client's evidence.
    await send(kept, 200);
    await send(erased, 200);
    await send(kept, 1, 212);
    await eventually(listAlerts, (list) => (sharedAlert(list)?.findingCount ?? 0) >= 1, "the shared alert");
    await send(erased, 1, 212);
    await eventually(listAlerts, (list) => (sharedAlert(list)?.findingCount ?? 0) >= 2, "its second finding");
    const listed = await eventually(
      listAlerts,
      (list) => alertOf(erased, list) !== undefined && alertOf(kept, list) !== undefined,
      "both clients' alerts",
    );
    const erasedAlert = alertOf(erased, listed) as Alert;
    const keptAlert = alertOf(kept, listed) as Alert;
    await unary<AcknowledgeResponse>((cb) =>
      alerts.acknowledge(
        { fingerprint: erasedAlert.fingerprint, note: "looking into it" } satisfies AcknowledgeRequest,
        bearer(acme.operator.token),
        cb,
      ),
    );
    await settled();

    // Evidence at rest is sealed: the client's risk reasons and the alert's summary and evidence are
    // not in Redis in the clear, yet the APIs read them.
    // The client's state lives in its input partition's slot: `…:{<topic>:<partition>}:client:<tenant>:<id>`.
    const [clientKey] = await redis.keys(`${namespace}:anomaly-detector:{*}:client:acme:${erased}`);
    const clientRaw = JSON.parse((clientKey ? await redis.get(clientKey) : null) ?? "{}");
    expect(clientRaw.sealed).toMatch(/^v1\.test\./);
    expect(clientRaw.risk.reasons).toBeUndefined();
    expect((await riskOf(erased))?.reasons.length).toBeGreaterThan(0);
    const shared = sharedAlert(await listAlerts()) as Alert;
    const sharedRaw = (await redis.get(`${namespace}:alerter:alert:${shared.fingerprint}`)) ?? "";
    expect(JSON.parse(sharedRaw).sealed).toMatch(/^v1\.test\./);
    expect(sharedRaw).not.toContain("above max");
    expect(shared.summary).toContain("above max");

    // The scan finds the client where it is stored: it would find it after erasure too.
    const stored = await everything(redis, namespace);
    expect(occurrences(stored, erased).length).toBeGreaterThanOrEqual(5);
    // The model's population sample names clients only by a salted digest: neither the id nor its
    // plain digest is in the model's state.
    expect(occurrences(stored, digest(erased)).filter((w) => w.includes(":model:"))).toEqual([]);
    expect((await deadLetters()).length).toBeGreaterThanOrEqual(1); // client alerts group per client; outliers notify nobody

    // Another tenant's admin erases nothing; a viewer may not erase.
    expect(await eraseInAnomaly(erased, globex.admin.token)).toEqual({ keysRemoved: 0, entriesRemoved: 0 });
    expect(await eraseInAlerter(erased, globex.admin.token)).toEqual({
      keysRemoved: 0,
      alertsRemoved: 0,
      alertsRedacted: 0,
      notificationsRemoved: 0,
    });
    await expect(eraseInAnomaly(erased, acme.operator.token)).rejects.toMatchObject({
      code: grpcStatus.PERMISSION_DENIED,
    });
    await expect(eraseInAlerter(erased, acme.viewer.token)).rejects.toMatchObject({
      code: grpcStatus.PERMISSION_DENIED,
    });
    expect((await riskOf(erased))?.score).toBeGreaterThan(0);

    const fromAnomaly = await eraseInAnomaly(erased, acme.admin.token);
    expect(fromAnomaly.keysRemoved).toBe(1);
    expect(fromAnomaly.entriesRemoved).toBeGreaterThanOrEqual(2); // tenant and model risk indexes
    const fromAlerter = await eraseInAlerter(erased, acme.admin.token);
    // Its SuspiciousClient alerts (rate, and probing kinds) go; the model's alerts (input violation,
    // outliers) whose latest evidence was the client's stay, redacted.
    expect(fromAlerter.alertsRemoved).toBeGreaterThanOrEqual(1);
    expect(fromAlerter.alertsRedacted).toBeGreaterThanOrEqual(1);
    expect(fromAlerter.notificationsRemoved).toBeGreaterThanOrEqual(1);
    expect(fromAlerter.keysRemoved).toBeGreaterThanOrEqual(3); // alert, ack, history, notifications

    // Nothing in Redis names the client any more: no key, no value of any type.
    const all = await everything(redis, namespace);
    expect(occurrences(all, erased)).toEqual([]);
    // Nor its digest, but where the erasure itself is recorded: the audit log and the erasure mark.
    expect(occurrences(all, digest(erased)).filter((w) => w !== `value of ${namespace}:audit`)).toEqual([]);
    // The erasure mark (by the tenant-scoped digest) stops in-flight batches from writing it back, then expires.
    const [mark] = await redis.keys(
      `${namespace}:anomaly-detector:{*}:erased:${digest(`acme\u0000${erased}`)}`,
    );
    expect(mark).toBeDefined();
    expect(await redis.pttl(mark as string)).toBeGreaterThan(0);

    // The erased client is unknown: risk 0; its alert is gone; the model's alert stays, redacted.
    expect(await riskOf(erased)).toMatchObject({ score: 0, reasons: [], queries: 0 });
    await expect(
      unary<GetAlertResponse>((cb) =>
        alerts.getAlert(
          { fingerprint: erasedAlert.fingerprint } satisfies GetAlertRequest,
          bearer(acme.viewer.token),
          cb,
        ),
      ),
    ).rejects.toMatchObject({ code: grpcStatus.NOT_FOUND });
    const after = await listAlerts();
    expect(sharedAlert(after)).toMatchObject({ fingerprint: shared.fingerprint, evidence: {} });
    expect(sharedAlert(after)?.summary).toMatch(/redacted/);

    // The other client is intact: its risk, reasons, index entry, alert with history, notifications.
    const keptRisk = await riskOf(kept);
    expect(keptRisk?.score).toBeGreaterThan(0);
    expect(keptRisk?.queries).toBe(sent.get(kept));
    expect(keptRisk?.reasons.length).toBeGreaterThan(0);
    const risky = await unary<ListRiskyClientsResponse>((cb) =>
      anomaly.listRiskyClients({ modelId: "", limit: 0 }, bearer(acme.viewer.token), cb),
    );
    expect(risky.clients.map((client) => client.clientId)).toEqual([kept]);
    const keptNow = await unary<GetAlertResponse>((cb) =>
      alerts.getAlert({ fingerprint: keptAlert.fingerprint }, bearer(acme.viewer.token), cb),
    );
    expect(keptNow.alert).toMatchObject({ summary: keptAlert.summary, evidence: keptAlert.evidence });
    expect(keptNow.history.length).toBeGreaterThan(0);
    expect(occurrences(all, kept).length).toBeGreaterThanOrEqual(3);
    expect((await deadLetters()).length).toBeGreaterThanOrEqual(1);

    // Both erasures are in the audit log, with actor and tenant, naming the client by digest only.
    const { entries } = await unary<ListAuditEntriesResponse>((cb) =>
      audit.listAuditEntries({ pageSize: 0 }, bearer(acme.admin.token), cb),
    );
    const erasures = entries.filter((entry) => entry.action.endsWith(".erase_client"));
    expect(erasures.map((e) => [e.action, e.actor, e.tenant, e.target]).sort()).toEqual([
      ["alerter.erase_client", "admin@acme", "acme", `client-sha256:${digest(erased)}`],
      ["anomaly.erase_client", "admin@acme", "acme", `client-sha256:${digest(erased)}`],
    ]);
    expect(erasures.find((e) => e.action === "alerter.erase_client")?.detail).toMatchObject({
      alerts_removed: String(fromAlerter.alertsRemoved),
      alerts_redacted: String(fromAlerter.alertsRedacted),
    });

    // Erased stays erased: the detectors and the alerter, still running, bring nothing back.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(occurrences(await everything(redis, namespace), erased)).toEqual([]);
  });
});
