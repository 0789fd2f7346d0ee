import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AlertState,
  Finding,
  type ListAlertsRequest,
  type ListAlertsResponse,
  type ListDeadLettersRequest,
  type ListDeadLettersResponse,
  type ReplayDeadLetterRequest,
  type ReplayDeadLetterResponse,
  type TestReceiverRequest,
  type TestReceiverResponse,
} from "@argus/proto";
import { createEvidenceSealer, createLogger, createRedis, type Redis } from "@argus/runtime";
import {
  freePorts,
  isolatedServiceEnv,
  killService,
  type ReceivedWebhook,
  rejection,
  type ServiceProcess,
  spawnService,
  startWebhookReceiver,
  stopService,
  testEvidenceKeys,
  testProducer,
  uniqueNamespace,
  type WebhookReceiver,
  waitReady,
} from "@argus/testkit";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AlertStore } from "../src/adapters/alert-store.js";
import {
  type AlerterHarness,
  type ArgusBody,
  eventually,
  findingOf,
  signingSecret,
  startAlerterHarness,
} from "./harness.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One signed Argus webhook on the root route, with short timers so a group notifies several times
 * in seconds; `extra` adds child routes and receivers (YAML at their indentation).
 */
const oneWebhook = (url: string | undefined, extra: { routes?: string; receivers?: string } = {}) => `
route:
  receiver: oncall
  group_by: [model]
  group_wait: 200ms
  group_interval: 1s
  repeat_interval: 1h
${extra.routes ?? ""}receivers:
  - name: oncall
    webhook_configs:
      - url: ${url}
        payload: argus
        signing_secrets: ["${signingSecret}"]
${extra.receivers ?? ""}`;

const stack = () => ({ kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") });

/** The generated client's methods are overloaded, so request and response types are spelled out. */
function apiOf(h: AlerterHarness) {
  return {
    listAlerts: (matchers: string[], token: string) =>
      h.call<ListAlertsRequest, ListAlertsResponse>(
        h.client.listAlerts,
        { state: AlertState.ALERT_STATE_UNSPECIFIED, modelId: "", pageSize: 0, pageToken: "", matchers },
        token,
      ),
    deadLetters: async (token: string) =>
      (
        await h.call<ListDeadLettersRequest, ListDeadLettersResponse>(
          h.client.listDeadLetters,
          { pageSize: 0, pageToken: "" },
          token,
        )
      ).deadLetters,
    replay: (id: string, token: string) =>
      h.call<ReplayDeadLetterRequest, ReplayDeadLetterResponse>(h.client.replayDeadLetter, { id }, token),
    testReceiver: (receiver: string, token: string) =>
      h.call<TestReceiverRequest, TestReceiverResponse>(h.client.testReceiver, { receiver }, token),
  };
}

const accepted = (w: ReceivedWebhook) => w.verified && w.answered >= 200 && w.answered < 300;

/**
 * The notifications a receiver accepted (2xx), in arrival order. Not the harness's
 * `deliveredBodies`: it counts a request the receiver hung on (answered 0) as delivered.
 */
const deliveredTo = (receiver: WebhookReceiver) =>
  receiver.received.filter(accepted).map((w) => ({ id: w.id, at: w.receivedAt, body: w.body as ArgusBody }));

interface SlowReceiver {
  url: string;
  requests: { id: string; at: number; answeredAt: number; status: number }[];
  close(): Promise<void>;
}

/**
 * A receiver that takes `delayMs` to answer its first `failures` requests 503 with Retry-After: 1
 * (a struggling endpoint), then answers 204 at once; the testkit's receiver answers without delay.
 */
async function startSlowReceiver(failures: number, delayMs: number): Promise<SlowReceiver> {
  const requests: SlowReceiver["requests"] = [];
  let left = failures;
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const at = Date.now();
      const id = String(request.headers["webhook-id"] ?? "");
      const failing = left-- > 0;
      const answer = () => {
        requests.push({ id, at, answeredAt: Date.now(), status: failing ? 503 : 204 });
        response.writeHead(failing ? 503 : 204, failing ? { "retry-after": "1" } : {}).end();
      };
      if (failing) setTimeout(answer, delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/slow`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe("durable, ordered delivery as a receiver sees it (real Kafka, Redis and HTTP)", () => {
  let redis: Redis;

  beforeAll(async () => {
    redis = createRedis(inject("redisUrl"), createLogger("durable-delivery-test", "silent"));
    await redis.connect();
  });

  afterAll(async () => {
    await redis?.quit();
  });

  describe("a receiver that is down, then up", () => {
    let h: AlerterHarness;
    let slow: SlowReceiver;

    beforeAll(async () => {
      slow = await startSlowReceiver(1, 800);
      h = await startAlerterHarness(stack(), {
        receivers: 1,
        yaml: ([url]) =>
          oneWebhook(url, {
            routes: `  routes:
    - matchers: ['model="slow"']
      receiver: slow
`,
            receivers: `  - name: slow
    webhook_configs:
      - url: ${slow.url}
        payload: argus
        signing_secrets: ["${signingSecret}"]
`,
          }),
      });
    });

    afterAll(async () => {
      await h?.stop();
      await slow?.close();
    });

    it("gets each notification once, in the group's order, retried with the same webhook-id after Retry-After", async () => {
      const [receiver] = h.receivers;
      if (!receiver) throw new Error("no receiver");
      const outage = { status: 503, headers: { "retry-after": "1" } };
      receiver.failNext([outage, outage, outage]);
      const labels = (feature: string) => ({ alertname: "Drift", model: "fraud", feature });
      const items = () => redis.keys(`${h.namespace}:alerter:oi:*`);

      await h.publish(findingOf("a-1", "fraud-age", labels("age")));
      await eventually(
        () => receiver.received.length,
        (n) => n >= 1,
        15_000,
      );
      // The first notification is failing; the group's next one is stored behind it.
      await h.publish(findingOf("b-1", "fraud-income", labels("income")));
      await eventually(
        items,
        (keys) => keys.length >= 2,
        10_000,
        (keys) => `outbox items ${keys}`,
      );
      expect(deliveredTo(receiver)).toHaveLength(0);
      await h.publish(findingOf("c-1", "fraud-score", labels("score")));

      const delivered = await eventually(
        () => deliveredTo(receiver),
        (d) => d.length >= 3,
        20_000,
        () => `3 deliveries, have ${JSON.stringify(receiver.received.map((w) => [w.id, w.answered]))}`,
      );
      // Nothing more comes: no duplicate of an accepted notification, no stray retry.
      await sleep(1_500);
      const requests = receiver.received;
      expect(requests.every((w) => w.verified)).toBe(true);
      expect(deliveredTo(receiver)).toHaveLength(3);

      // In the group's order: 1, then 2, then 3 alerts.
      expect(delivered.map((d) => d.body.data.alerts.length)).toEqual([1, 2, 3]);
      expect(delivered.map((d) => d.body.data.reason)).toEqual(["new", "firing-changed", "firing-changed"]);
      expect(delivered.map((d) => d.body.data.groupKey)).toEqual(
        Array(3).fill(delivered[0]?.body.data.groupKey),
      );

      // Every notification exactly once among accepted requests, and no notification lost.
      const ids = delivered.map((d) => d.id);
      expect(new Set(ids).size).toBe(3);
      expect(new Set(requests.map((w) => w.id))).toEqual(new Set(ids));
      for (const id of ids) expect(requests.filter((w) => w.id === id && accepted(w))).toHaveLength(1);

      // The outage hit the first notification only, each retry with its webhook-id and its bytes.
      expect(requests.slice(0, 3).map((w) => [w.id, w.answered])).toEqual(Array(3).fill([ids[0], 503]));
      for (const w of requests.filter((r) => r.id === ids[0])) expect(w.body).toEqual(delivered[0]?.body);

      // No later notification was even attempted before the one before it was accepted.
      for (let k = 1; k < ids.length; k++) {
        const previousAccepted = requests.findIndex((w) => w.id === ids[k - 1] && accepted(w));
        const firstAttempt = requests.findIndex((w) => w.id === ids[k]);
        expect(firstAttempt).toBeGreaterThan(previousAccepted);
      }

      // Retry-After: 1 is honoured: the next attempt of an id comes at least a second after the 503
      // was answered (RFC 9110 §10.2.3: the wait starts when the response arrives).
      for (const [index, w] of requests.entries()) {
        if (w.answered !== 503) continue;
        const next = requests.slice(index + 1).find((r) => r.id === w.id);
        expect(next, `a retry of ${w.id}`).toBeDefined();
        expect((next?.receivedAt ?? 0) - w.receivedAt).toBeGreaterThanOrEqual(1_000);
      }
      // Delivered: the outbox is empty again.
      expect(await items()).toEqual([]);
    });

    it("counts Retry-After from the 503's arrival, also when the receiver was slow to answer", async () => {
      await h.publish(findingOf("s-1", "slow-age", { alertname: "Drift", model: "slow", feature: "age" }));
      const [refused, retried] = await eventually(
        () => [...slow.requests],
        (r) => r.length >= 2,
        15_000,
      );
      expect(refused?.status).toBe(503);
      expect(retried?.id).toBe(refused?.id);
      expect(retried?.status).toBe(204);
      // Answered 800 ms after it arrived, with Retry-After: 1: the retry may not come before a
      // second after the answer (1.8 s after the first request), not a second after sending it.
      expect((retried?.at ?? 0) - (refused?.answeredAt ?? Infinity)).toBeGreaterThanOrEqual(1_000);
    });
  });

  describe("an alerter killed between storing and sending", () => {
    const namespace = uniqueNamespace("alerter-kill");
    const running: ServiceProcess[] = [];
    let receiver: WebhookReceiver;

    afterAll(async () => {
      await Promise.all(running.map((service) => stopService(service, 10_000)));
      await receiver?.close();
    });

    it("sends the stored notification after restart, with the webhook-id of the interrupted request, once", async () => {
      receiver = await startWebhookReceiver(signingSecret);
      const configPath = join(mkdtempSync(join(tmpdir(), "argus-alerter-")), "alerter.yaml");
      writeFileSync(configPath, oneWebhook(receiver.url));
      const env = isolatedServiceEnv(stack(), namespace, {
        ALERTER_CONFIG_FILE: configPath,
        ALERTER_EGRESS_ALLOW: "127.0.0.1/32",
        ALERTER_RETRY_INITIAL_MS: "100",
        ALERTER_POLL_MS: "50",
        // Longer than the test takes to kill it: the hung request must not time out and be retried
        // by the first process. The queue's lease outlives the process by 2 × this + 5 s.
        ALERTER_WEBHOOK_TIMEOUT_MS: "2000",
        KAFKA_SESSION_TIMEOUT_MS: "6000",
      });
      const [http, grpc] = (await freePorts(2)) as [number, number];
      const start = async () => {
        const service = spawnService("alerter", env, { http, grpc });
        running.push(service);
        await waitReady(service, 60_000);
        return service;
      };
      const first = await start();

      receiver.failNext([{ status: 0, hang: true }]);
      const producer = await testProducer(stack().kafkaBrokers);
      try {
        await producer.send({
          topic: `${namespace}.argus.findings.v1`,
          messages: [
            {
              key: "kill-age",
              value: Buffer.from(
                Finding.encode(
                  findingOf("k-1", "kill-age", { alertname: "Drift", model: "kill", feature: "age" }),
                ).finish(),
              ),
            },
          ],
        });
      } finally {
        await producer.disconnect();
      }
      const [hung] = await eventually(
        () => [...receiver.received],
        (r) => r.length >= 1,
        30_000,
      );
      if (!hung) throw new Error("no request");
      expect(hung.answered).toBe(0);
      expect(hung.id).toMatch(/^msg_/);

      // Stored in the outbox before it was sent: item, due entry and place in its queue.
      const sealer = createEvidenceSealer(testEvidenceKeys.keys, testEvidenceKeys.keyId);
      const items = new AlertStore(
        redis,
        (...parts) => [namespace, "alerter", ...parts].join(":"),
        60_000,
        sealer,
      );
      const stored = await redis.get(items.itemKey(hung.id));
      expect(stored).not.toBeNull();
      // The body quotes evidence: at rest it is sealed (AES-256-GCM, bound to this item's key).
      expect(stored).not.toContain("kill-age (k-1)");
      const item = items.parseNotification(hung.id, stored as string);
      expect(item.id).toBe(hung.id);
      expect(item.attempts).toBe(0);
      expect(JSON.parse(item.body)).toEqual(hung.body);
      expect(await redis.zscore(items.dueKey, hung.id)).not.toBeNull();
      expect(await redis.zrange(items.queueKey(item.queue), 0, -1)).toEqual([hung.id]);

      await killService(first);
      expect(first.child.signalCode).toBe("SIGKILL");
      expect(receiver.received.filter(accepted)).toHaveLength(0);

      await start();
      const [delivered] = await eventually(
        () => receiver.received.filter(accepted),
        (d) => d.length >= 1,
        30_000,
        () => `a delivery; requests ${JSON.stringify(receiver.received.map((w) => [w.id, w.answered]))}`,
      );
      expect(delivered?.id).toBe(hung.id);
      expect(delivered?.body).toEqual(hung.body);
      // Exactly once: no second delivery, and the outbox is empty.
      await sleep(1_500);
      expect(receiver.received.filter(accepted)).toHaveLength(1);
      expect(receiver.received.map((w) => w.id)).toEqual([hung.id, hung.id]);
      expect(await redis.exists(items.itemKey(hung.id))).toBe(0);
      expect(await redis.zscore(items.dueKey, hung.id)).toBeNull();
    });
  });

  describe("a notification past its maximum age", () => {
    let h: AlerterHarness;
    let api: ReturnType<typeof apiOf>;

    beforeAll(async () => {
      h = await startAlerterHarness(stack(), {
        receivers: 1,
        yaml: ([url]) => oneWebhook(url),
        env: {
          ALERTER_NOTIFICATION_MAX_AGE_MS: "1500",
          // Every retry waits exactly 1 s: the second failure is past the maximum age.
          ALERTER_RETRY_INITIAL_MS: "1000",
          ALERTER_RETRY_MAX_MS: "1000",
          ALERTER_WEBHOOK_TIMEOUT_MS: "1000",
        },
      });
      api = apiOf(h);
    });

    afterAll(async () => {
      await h?.stop();
    });

    it("is dead-lettered, listed to its tenant only, and replayed by an operator with its webhook-id", async () => {
      const [receiver] = h.receivers;
      if (!receiver) throw new Error("no receiver");
      receiver.failNext([{ status: 503 }, { status: 503 }]);
      await h.publish(findingOf("d-1", "dead-age", { alertname: "Drift", model: "dead", feature: "age" }));

      const [dead] = await eventually(
        () => api.deadLetters(h.acme.viewer.token),
        (d) => d.length >= 1,
        15_000,
      );
      if (!dead) throw new Error("no dead letter");
      const attempts = receiver.received.map((w) => [w.id, w.answered]);
      expect(attempts).toEqual([
        [dead.id, 503],
        [dead.id, 503],
      ]);
      expect(dead.reason).toMatch(/gave up/i);
      expect(dead.reason).toContain("503");
      expect(dead.attempts).toBe(2);
      expect(dead.receiver).toBe("oncall");
      expect(dead.integration).toBe("oncall/webhook[0]");
      expect(dead.deadAt?.getTime() ?? 0).toBeGreaterThanOrEqual(dead.createdAt?.getTime() ?? Infinity);
      // Not retried any more.
      await sleep(1_500);
      expect(receiver.received).toHaveLength(2);

      // Another tenant neither sees nor replays it; a viewer may not replay.
      expect(await api.deadLetters(h.globex.viewer.token)).toEqual([]);
      expect((await rejection(api.replay(dead.id, h.globex.operator.token))).code).toBe(status.NOT_FOUND);
      expect((await rejection(api.replay(dead.id, h.acme.viewer.token))).code).toBe(status.PERMISSION_DENIED);
      expect((await rejection(api.replay("msg_doesnotexist", h.acme.operator.token))).code).toBe(
        status.NOT_FOUND,
      );
      expect((await api.deadLetters(h.acme.viewer.token)).map((d) => d.id)).toEqual([dead.id]);
      expect(receiver.received).toHaveLength(2);

      // Replayed while the receiver hangs on it: in flight, it is no longer a dead letter.
      receiver.failNext([{ status: 0, hang: true }]);
      const replayed = await api.replay(dead.id, h.acme.operator.token);
      expect(replayed.deadLetter?.id).toBe(dead.id);
      expect(replayed.deadLetter?.attempts).toBe(0);
      await eventually(
        () => receiver.received.length,
        (n) => n >= 3,
        10_000,
      );
      expect(await api.deadLetters(h.acme.viewer.token)).toEqual([]);
      expect((await rejection(api.replay(dead.id, h.acme.operator.token))).code).toBe(
        status.FAILED_PRECONDITION,
      );

      // The hung attempt times out; the retry is accepted, with the same webhook-id and bytes.
      const delivered = await eventually(
        () => deliveredTo(receiver),
        (d) => d.length >= 1,
        15_000,
      );
      expect(delivered.map((d) => d.id)).toEqual([dead.id]);
      expect(delivered[0]?.body).toEqual(receiver.received[0]?.body);
      await sleep(1_000);
      expect(receiver.received.map((w) => [w.id, w.answered])).toEqual([
        [dead.id, 503],
        [dead.id, 503],
        [dead.id, 0],
        [dead.id, 204],
      ]);
      expect(await api.deadLetters(h.acme.viewer.token)).toEqual([]);

      // Delivered now: replaying it again is refused, not a "no such notification".
      expect((await rejection(api.replay(dead.id, h.acme.operator.token))).code).toBe(
        status.FAILED_PRECONDITION,
      );
      await sleep(500);
      expect(deliveredTo(receiver)).toHaveLength(1);
    });
  });

  describe("a receiver that answers 410 Gone", () => {
    let h: AlerterHarness;
    let api: ReturnType<typeof apiOf>;

    beforeAll(async () => {
      h = await startAlerterHarness(stack(), {
        receivers: 2,
        yaml: ([oncall, admins]) => `
route:
  receiver: oncall
  group_by: [model]
  group_wait: 200ms
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['alertname="ArgusReceiverDisabled"']
      receiver: admins
receivers:
  - name: oncall
    webhook_configs:
      - url: ${oncall}
        payload: argus
        signing_secrets: ["${signingSecret}"]
  - name: admins
    webhook_configs:
      - url: ${admins}
        payload: argus
        signing_secrets: ["${signingSecret}"]
`,
      });
      api = apiOf(h);
    });

    afterAll(async () => {
      await h?.stop();
    });

    it("is disabled: dead letters without requests, an ArgusReceiverDisabled alert elsewhere, TestReceiver enables it", async () => {
      const [oncall, admins] = h.receivers;
      if (!oncall || !admins) throw new Error("no receivers");
      const labels = (model: string) => ({ alertname: "Drift", model, feature: "age" });
      oncall.failNext([{ status: 410 }]);
      await h.publish(findingOf("g-1", "gone-1", labels("gone-1")));

      const [gone] = await eventually(
        () => api.deadLetters(h.acme.viewer.token),
        (d) => d.length >= 1,
        15_000,
      );
      expect(gone?.reason).toContain("410");
      expect(oncall.received.map((w) => [w.id, w.answered])).toEqual([[gone?.id, 410]]);

      // The alert about it, routed to the other receiver.
      const [disabledAlert] = await eventually(
        async () => (await api.listAlerts(['alertname="ArgusReceiverDisabled"'], h.acme.viewer.token)).alerts,
        (alerts) => alerts.length >= 1,
        15_000,
      );
      expect(disabledAlert?.state).toBe(AlertState.ALERT_STATE_FIRING);
      expect(disabledAlert?.labels).toMatchObject({ alertname: "ArgusReceiverDisabled", receiver: "oncall" });
      const [told] = await eventually(
        () => deliveredTo(admins),
        (d) => d.length >= 1,
        15_000,
      );
      expect(told?.body.data.alerts.map((a) => a.fingerprint)).toEqual([disabledAlert?.fingerprint]);

      // A later notification for the disabled receiver is dead-lettered without a request.
      await h.publish(findingOf("g-2", "gone-2", labels("gone-2")));
      const deadNow = await eventually(
        () => api.deadLetters(h.acme.viewer.token),
        (d) => d.length >= 2,
        15_000,
      );
      const second = deadNow.find((d) => d.id !== gone?.id);
      expect(second?.reason).toMatch(/disabled/);
      expect(second?.attempts).toBe(0);
      await sleep(500);
      expect(oncall.received).toHaveLength(1);
      expect(deliveredTo(admins)).toHaveLength(1);

      // TestReceiver reaches it (204) and enables it again: the next notification is delivered.
      const tested = await api.testReceiver("oncall", h.acme.operator.token);
      expect(tested.results).toEqual([
        { integration: "oncall/webhook[0]", delivered: true, httpStatus: 204, error: "" },
      ]);
      expect(oncall.received).toHaveLength(2);
      expect(oncall.received[1]?.id).toMatch(/^msg_test_/);
      expect((oncall.received[1]?.body as ArgusBody | undefined)?.data.reason).toBe("test");

      await h.publish(findingOf("g-3", "gone-3", labels("gone-3")));
      const after = await eventually(
        () => deliveredTo(oncall).filter((d) => d.body.data.reason !== "test"),
        (d) => d.length >= 1,
        15_000,
      );
      expect(after.map((d) => d.body.data.alerts.map((a) => a.fingerprint))).toEqual([["gone-3"]]);
      expect((await api.deadLetters(h.acme.viewer.token)).length).toBe(2);
    });
  });
});
