import { randomBytes } from "node:crypto";
import {
  type AlertServiceEraseClientRequest,
  type AlertServiceEraseClientResponse,
  FindingKind,
  type GetAlertRequest,
  type GetAlertResponse,
} from "@argus/proto";
import { createLogger, createRedis, type Redis } from "@argus/runtime";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { redactedSummary } from "../src/adapters/alert-actions.js";
import { decodeGroup } from "../src/adapters/stored/group-layout.js";
import { type AlerterHarness, eventually, findingOf, signingSecret, startAlerterHarness } from "./harness.js";

const pseudonym = () => `p1.${randomBytes(32).toString("base64url")}`;

/** Every key matching `pattern` (a full SCAN: other test files share the Redis). */
async function scanAll(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1_000);
    keys.push(...found);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}

describe("AlertService.EraseClient: alerts, history, groups and notifications of one client (real Redis and Kafka)", () => {
  let h: AlerterHarness;
  let redis: Redis;
  const key = (...parts: string[]) => [h.namespace, "alerter", ...parts].join(":");

  beforeAll(async () => {
    h = await startAlerterHarness(
      { kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") },
      {
        receivers: 1,
        // One group per model: the erased client's alert shares its group with others.
        yaml: ([url]) => `
route:
  receiver: oncall
  group_by: [model]
  group_wait: 3s
  group_interval: 1h
receivers:
  - name: oncall
    webhook_configs:
      - url: ${url}
        payload: argus
        signing_secrets: ["${signingSecret}"]
`,
      },
    );
    // The receiver is down: notifications stay in the outbox, retried.
    h.receivers[0]?.failNext(Array.from({ length: 10_000 }, () => ({ status: 503 })));
    redis = createRedis(inject("redisUrl"), createLogger("alerter-erasure-test", "silent"));
  });

  afterAll(async () => {
    redis?.disconnect();
    await h?.stop();
  });

  const getAlert = (fingerprint: string) =>
    h.call<GetAlertRequest, GetAlertResponse>(h.client.getAlert, { fingerprint }, h.acme.viewer.token);
  const erase = (clientId: string, token: string) =>
    h.call<AlertServiceEraseClientRequest, AlertServiceEraseClientResponse>(
      h.client.eraseClient,
      { clientId },
      token,
    );

  it("removes the client's alert from its shared group, drops notifications about it, promotes the next one, redacts the model's alert", async () => {
    const erased = pseudonym();
    const kept = pseudonym();
    const suspicious = (client: string, id: string) =>
      findingOf(
        id,
        `fp-client-${client.slice(3, 15)}`,
        { alertname: "SuspiciousClient", model: "m", client },
        {
          kind: FindingKind.FINDING_KIND_RATE_ABUSE,
          subject: { feature: "", clientId: client, source: "" },
          summary: `m: client ${client} sent 900 requests`,
          evidence: { client, requests_in_window: "900" },
        },
      );
    await h.publish(suspicious(kept, "f-kept"), suspicious(erased, "f-erased"));
    await h.publish(
      findingOf(
        "f-shared",
        "fp-model-m",
        { alertname: "InputViolation", model: "m", feature: "employment" },
        {
          kind: FindingKind.FINDING_KIND_INPUT_VIOLATION,
          subject: { feature: "employment", clientId: erased, source: "" },
          summary: 'm: feature "employment" unknown category (observed "Jane Doe")',
          evidence: { observed: "Jane Doe" },
        },
      ),
    );
    const erasedFp = `fp-client-${erased.slice(3, 15)}`;
    const keptFp = `fp-client-${kept.slice(3, 15)}`;
    // group_wait lets the three alerts (published together, on different partitions) meet in the
    // group's first notification.
    await eventually(
      () => scanAll(redis, key("oi", "*")),
      (items) => items.length >= 1,
      20_000,
    );
    const [gid] = await redis.zrange(key("groups", "due"), 0, -1);
    const group = async () => decodeGroup(gid as string, await redis.hgetall(key("group", gid as string)));
    await eventually(
      async () => (await group()).members,
      (members) => members.length === 3,
      10_000,
    );

    // A queue whose head speaks of the client and whose next item does not (the flusher left the
    // next one out of the due set: only a queue's head is ever due).
    const item = (id: string, sequence: number, fingerprints: string[]) =>
      JSON.stringify({
        id,
        queue: "q.test",
        groupKey: "acme/{}:{}",
        gid: "g-test",
        tenant: "acme",
        receiver: "oncall",
        integration: 0,
        integrationType: "webhook",
        sequence,
        reason: "new",
        fingerprints,
        createdAt: new Date().toISOString(),
        body: "{}",
        attempts: 0,
      });
    await redis
      .multi()
      .set(key("outbox", "item", "msg_head"), item("msg_head", 1, [erasedFp]))
      .set(key("outbox", "item", "msg_next"), item("msg_next", 2, [keptFp]))
      .zadd(key("outbox", "queue", "q.test"), 1, "msg_head", 2, "msg_next")
      .zadd(key("outbox", "due"), Date.now() + 3_600_000, "msg_head")
      .exec();

    await expect(erase(erased, h.acme.operator.token)).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    const result = await erase(erased, h.acme.admin.token);
    expect(result).toMatchObject({ alertsRemoved: 1, alertsRedacted: 1 });
    expect(result.notificationsRemoved).toBeGreaterThanOrEqual(2);

    // The client's alert is gone, from its group too; the group goes on with the others.
    await expect(getAlert(erasedFp)).rejects.toMatchObject({ code: status.NOT_FOUND });
    expect((await group()).members.sort()).toEqual(["fp-model-m", keptFp].sort());
    for (const entry of (await group()).log.values()) {
      expect(entry.firing).not.toContain(erasedFp);
      expect(entry.resolved).not.toContain(erasedFp);
    }
    // The queue's head went unsent and the next notification became due.
    expect(await redis.exists(key("outbox", "item", "msg_head"))).toBe(0);
    expect(await redis.zrange(key("outbox", "queue", "q.test"), 0, -1)).toEqual(["msg_next"]);
    expect(await redis.zscore(key("outbox", "due"), "msg_next")).not.toBeNull();

    // The model's alert stays, its evidence redacted; the other client's alert is untouched.
    const shared = await getAlert("fp-model-m");
    expect(shared.alert).toMatchObject({ summary: redactedSummary, evidence: {} });
    expect((await getAlert(keptFp)).alert).toMatchObject({ evidence: { client: kept } });

    // A finding about the erased client still on its way (a detector's in-flight batch) does not
    // bring its alert back: once the alerter has consumed it (its id is marked seen, in the same
    // write that would have stored the alert), the alert is still not found.
    await h.publish(suspicious(erased, "f-erased-late"));
    await eventually(
      () => redis.exists(key("seen", "f-erased-late")),
      (exists) => exists === 1,
      15_000,
    );
    await expect(getAlert(erasedFp)).rejects.toMatchObject({ code: status.NOT_FOUND });

    // Nowhere in the alerter's keys, names or values, is the erased client, nor the name in its evidence.
    for (const k of await scanAll(redis, `${h.namespace}:alerter:*`)) {
      expect(k).not.toContain(erased);
      const type = await redis.type(k);
      const values =
        type === "string"
          ? [await redis.get(k)]
          : type === "hash"
            ? Object.entries(await redis.hgetall(k)).flat()
            : type === "set"
              ? await redis.smembers(k)
              : type === "zset"
                ? await redis.zrange(k, 0, -1)
                : await redis.lrange(k, 0, -1);
      for (const value of values) {
        expect(value, k).not.toContain(erased);
        expect(value, k).not.toContain("Jane Doe");
      }
    }
  });

  it("reads alerts stored before sealing was on, and refuses a sealed alert moved to another key", async () => {
    const legacy = {
      fingerprint: "fp-legacy",
      tenant: "acme",
      modelId: "m",
      kind: FindingKind.FINDING_KIND_DRIFT,
      severity: 2,
      labels: { alertname: "Drift", model: "m" },
      summary: "written before sealing",
      evidence: { psi: "0.3" },
      state: "firing",
      startsAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      findingCount: 1,
      lastFindingId: "f-legacy",
      notificationSeq: 1,
    };
    await redis.set(key("alert", "fp-legacy"), JSON.stringify(legacy));
    expect((await getAlert("fp-legacy")).alert).toMatchObject({ summary: "written before sealing" });

    await h.publish(findingOf("f-moved", "fp-sealed", { alertname: "Drift", model: "m" }));
    const sealed = await eventually(
      () => redis.get(key("alert", "fp-sealed")),
      (value) => value !== null,
      10_000,
    );
    expect(JSON.parse(sealed as string).sealed).toMatch(/^v1\./);
    await redis.set(key("alert", "fp-moved"), (sealed as string).replace('"fp-sealed"', '"fp-moved"'));
    await expect(getAlert("fp-moved")).rejects.toMatchObject({
      details: expect.stringMatching(/does not open/),
    });
  });
});
