import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type AlerterHarness,
  deliveredBodies,
  eventually,
  findingOf,
  signingSecret,
  startAlerterHarness,
} from "./harness.js";

// Alertmanager's timers, scaled down: group_wait 1.5 s, group_interval 3 s, repeat_interval 7 s.
const groupWait = 1_500;
const groupInterval = 3_000;
const repeatInterval = 7_000;

describe("grouping timers on real Kafka and Redis (Alertmanager's meanings)", () => {
  let h: AlerterHarness;

  beforeAll(async () => {
    h = await startAlerterHarness(
      { kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") },
      {
        receivers: 1,
        yaml: ([url]) => `
route:
  receiver: oncall
  group_by: [model]
  group_wait: ${groupWait}ms
  group_interval: ${groupInterval}ms
  repeat_interval: ${repeatInterval}ms
receivers:
  - name: oncall
    webhook_configs:
      - url: ${url}
        payload: argus
        signing_secrets: ["${signingSecret}"]
`,
      },
    );
  });

  afterAll(async () => {
    await h?.stop();
  });

  it("batches a group's first alerts for group_wait, adds later ones after group_interval, repeats after repeat_interval", async () => {
    const [receiver] = h.receivers;
    if (!receiver) throw new Error("no receiver");
    const labels = (feature: string) => ({ alertname: "Drift", model: "fraud", feature });
    const start = Date.now();
    await h.publish(findingOf("a-1", "fraud-age", labels("age")));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await h.publish(findingOf("b-1", "fraud-income", labels("income")));

    // group_wait: one notification, with both alerts, not before group_wait has passed.
    const [first] = await eventually(
      () => deliveredBodies(receiver),
      (d) => d.length >= 1,
      15_000,
    );
    expect((first?.at ?? 0) - start).toBeGreaterThanOrEqual(groupWait);
    expect(first?.body.data.alerts.map((a) => a.fingerprint).sort()).toEqual(["fraud-age", "fraud-income"]);
    expect(first?.body.data.groupLabels).toEqual({ model: "fraud" });
    expect(first?.body.data.reason).toBe("new");

    // A third alert right after the flush waits for group_interval, then goes out with the others.
    await h.publish(findingOf("c-1", "fraud-score", labels("score")));
    const second = (
      await eventually(
        () => deliveredBodies(receiver),
        (d) => d.length >= 2,
        15_000,
      )
    )[1];
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(groupInterval - 100);
    expect(second?.body.data.alerts).toHaveLength(3);
    expect(second?.body.data.reason).toBe("firing-changed");

    // Nothing changes: the next notification is a repeat, repeat_interval after the last one
    // (checked at group_interval ticks, so up to one interval later).
    const third = (
      await eventually(
        () => deliveredBodies(receiver),
        (d) => d.length >= 3,
        25_000,
      )
    )[2];
    const sinceSecond = (third?.at ?? 0) - (second?.at ?? 0);
    expect(sinceSecond).toBeGreaterThanOrEqual(repeatInterval - 100);
    expect(sinceSecond).toBeLessThan(repeatInterval + groupInterval + 1_500);
    expect(third?.body.data.reason).toBe("repeat");

    // Every notification of the group has its own webhook-id.
    expect(new Set(deliveredBodies(receiver).map((d) => d.id)).size).toBe(deliveredBodies(receiver).length);
  });

  it("a resolution goes out at the next group_interval tick, and the group then ends", async () => {
    const [receiver] = h.receivers;
    if (!receiver) throw new Error("no receiver");
    const labels = { alertname: "Drift", model: "churn", feature: "tenure" };
    await h.publish(findingOf("r-1", "churn-tenure", labels));
    const isChurn = (d: { body: { data: { groupLabels: Record<string, string> } } }) =>
      d.body.data.groupLabels.model === "churn";
    const firing = await eventually(
      () => deliveredBodies(receiver).filter(isChurn),
      (d) => d.length >= 1,
      15_000,
    );
    await h.publish(findingOf("r-2", "churn-tenure", labels, { resolved: true }));
    const resolved = (
      await eventually(
        () => deliveredBodies(receiver).filter(isChurn),
        (d) => d.length >= 2,
        15_000,
      )
    )[1];
    expect(resolved?.body.type).toBe("alert.resolved");
    expect(resolved?.body.data.reason).toBe("all-resolved");
    expect(resolved?.body.data.alerts).toEqual([
      expect.objectContaining({ fingerprint: "churn-tenure", status: "resolved" }),
    ]);
    expect((resolved?.at ?? 0) - (firing[0]?.at ?? 0)).toBeGreaterThanOrEqual(groupInterval - 100);
    // After the group ended no repeat comes: wait past a repeat interval.
    await new Promise((resolve) => setTimeout(resolve, groupInterval * 2));
    expect(deliveredBodies(receiver).filter(isChurn)).toHaveLength(2);
  });
});
