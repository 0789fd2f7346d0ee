import { AlertState, FindingKind, type GetAlertRequest, type GetAlertResponse } from "@argus/proto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type AlerterHarness,
  deliveredBodies,
  eventually,
  findingOf,
  signingSecret,
  startAlerterHarness,
} from "./harness.js";

const yaml = ([url]: string[]) => `
resolve_timeouts:
  outlier: 2s
route:
  receiver: oncall
  group_by: [model]
  group_wait: 200ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: oncall
    webhook_configs:
      - url: ${url}
        payload: argus
        signing_secrets: ["${signingSecret}"]
`;

describe("two alerter replicas on real Kafka and Redis", () => {
  let first: AlerterHarness;
  let second: AlerterHarness;
  const stack = () => ({ kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") });

  beforeAll(async () => {
    first = await startAlerterHarness(stack(), { receivers: 1, yaml });
    second = await startAlerterHarness(stack(), { receivers: 1, yaml, replicaOf: first });
  });

  afterAll(async () => {
    await second?.stop();
    await first?.stop();
  });

  it("send every notification of many groups once between them, each group in order", async () => {
    const [receiver] = first.receivers;
    if (!receiver) throw new Error("no receiver");
    const models = Array.from({ length: 40 }, (_, i) => `replica-${i}`);
    await first.publish(
      ...models.map((model) => findingOf(`${model}-a`, `${model}-a`, { alertname: "Drift", model })),
    );
    await eventually(
      () => deliveredBodies(receiver),
      (d) => d.length >= models.length,
      30_000,
      (d) => `${d.length}`,
    );
    // A second alert per group: a second notification per group, after the first.
    await first.publish(
      ...models.map((model) => findingOf(`${model}-b`, `${model}-b`, { alertname: "Drift", model })),
    );
    const all = await eventually(
      () => deliveredBodies(receiver),
      (d) => d.length >= models.length * 2,
      30_000,
      (d) => `${d.length}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const delivered = deliveredBodies(receiver);
    expect(delivered).toHaveLength(models.length * 2);
    expect(new Set(delivered.map((d) => d.id)).size).toBe(delivered.length);
    for (const model of models) {
      const ofGroup = all.filter((d) => d.body.data.groupLabels.model === model);
      expect(ofGroup.map((d) => d.body.data.alerts.length)).toEqual([1, 2]);
    }
  });

  it("resolve a silent alert after its kind's resolve timeout, recorded as the alerter's doing", async () => {
    const [receiver] = first.receivers;
    if (!receiver) throw new Error("no receiver");
    const labels = { alertname: "Outlier", model: "quiet" };
    await first.publish(
      findingOf("quiet-1", "quiet-outlier", labels, { kind: FindingKind.FINDING_KIND_OUTLIER }),
    );
    const isQuiet = (d: { body: { data: { groupLabels: Record<string, string> } } }) =>
      d.body.data.groupLabels.model === "quiet";
    await eventually(
      () => deliveredBodies(receiver).filter(isQuiet),
      (d) => d.length >= 1,
      15_000,
    );
    const resolved = await eventually(
      () => deliveredBodies(receiver).filter(isQuiet),
      (d) => d.length >= 2,
      15_000,
      (d) => `${d.length}`,
    );
    expect(resolved[1]?.body.type).toBe("alert.resolved");
    const { alert } = await first.call<GetAlertRequest, GetAlertResponse>(
      first.client.getAlert,
      { fingerprint: "quiet-outlier" },
      first.acme.viewer.token,
    );
    expect(alert?.state).toBe(AlertState.ALERT_STATE_RESOLVED);
    expect(alert?.resolvedBy).toBe("alerter:resolve_timeout");
    // The episode ends at last update + timeout, not when the sweep happened to run.
    expect((alert?.endsAt?.getTime() ?? 0) - (alert?.updatedAt?.getTime() ?? 0)).toBe(0);
    expect((alert?.endsAt?.getTime() ?? 0) - (alert?.startsAt?.getTime() ?? 0)).toBe(2_000);
  });
  it("keep a replayed or late alert firing for its whole resolve timeout of wall time", async () => {
    const [receiver] = first.receivers;
    if (!receiver) throw new Error("no receiver");
    const daysAgo = new Date(Date.now() - 3 * 24 * 3_600_000);
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    const publishedAt = Date.now();
    await first.publish(
      findingOf(
        "replayed-1",
        "replayed-outlier",
        { alertname: "Outlier", model: "replayed" },
        {
          kind: FindingKind.FINDING_KIND_OUTLIER,
          observedAt: daysAgo,
        },
      ),
      findingOf(
        "late-1",
        "late-outlier",
        { alertname: "Outlier", model: "late" },
        {
          kind: FindingKind.FINDING_KIND_OUTLIER,
          observedAt: tenMinutesAgo,
        },
      ),
    );
    for (const model of ["replayed", "late"]) {
      const ofModel = (d: { body: { data: { groupLabels: Record<string, string> } } }) =>
        d.body.data.groupLabels.model === model;
      await eventually(
        () => deliveredBodies(receiver).filter(ofModel),
        (d) => d.some((webhook) => webhook.body.type === "alert.resolved"),
        15_000,
        (d) => `${d.length}`,
      );
      const resolvedAt = deliveredBodies(receiver).find(
        (webhook) => ofModel(webhook) && webhook.body.type === "alert.resolved",
      )?.at;
      // Silence is measured in the alerter's time: 2 s at least, however old the event times.
      expect((resolvedAt ?? 0) - publishedAt).toBeGreaterThanOrEqual(2_000);
    }
    const { alert } = await first.call<GetAlertRequest, GetAlertResponse>(
      first.client.getAlert,
      { fingerprint: "replayed-outlier" },
      first.acme.viewer.token,
    );
    expect(alert?.resolvedBy).toBe("alerter:resolve_timeout");
    // The episode ends in its own time: last seen (3 days ago) + the 2 s timeout.
    expect(alert?.endsAt?.getTime()).toBe(daysAgo.getTime() + 2_000);
  });
});
