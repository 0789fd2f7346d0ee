import type { Finding } from "@argus/proto";
import { describe, expect, it } from "vitest";
import { planFlush } from "../src/domain/flush/plan-flush.js";
import type { Notification } from "../src/domain/notification.js";
import { parseRoutingConfig } from "../src/domain/routing/config.js";
import { finding, t } from "./fixtures.js";
import { FlushDriver } from "./flush-driver.js";

const second = 1_000;
const minute = 60 * second;
const groupWait = 30 * second;
const groupInterval = 5 * minute;
const repeatInterval = 60 * minute;
const start = t(0).getTime();

const routingYaml = (payload: "argus" | "alertmanager" = "argus", extra = "") => `
route:
  receiver: oncall
  group_by: [model]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
receivers:
  - name: oncall
    webhook_configs:
      - url: https://oncall.example.com/hooks/argus
        payload: ${payload}
        signing_secrets: ["whsec_${Buffer.alloc(32, 7).toString("base64")}"]
${extra}`;
const routing = (payload: "argus" | "alertmanager" = "argus", extra = "") =>
  parseRoutingConfig(routingYaml(payload, extra), () => "");

let findings = 0;
/** A finding about `feature` of model credit-risk, observed now by `driver`'s clock. */
function about(driver: FlushDriver, feature: string, overrides: Partial<Finding> = {}): Finding {
  findings++;
  return finding(`f-${findings}`, {
    fingerprint: `fp-${feature}`,
    labels: { alertname: "DataDrift", model: "credit-risk", feature, severity: "warning" },
    summary: `credit-risk: feature "${feature}" drifted`,
    observedAt: new Date(driver.now),
    ...overrides,
  });
}
const resolving = (driver: FlushDriver, feature: string) => about(driver, feature, { resolved: true });

/** The alerts a notification lists (Argus payload): fingerprint and status. */
function listed(notification: Notification | undefined): string[] {
  const body = JSON.parse(notification?.body ?? "{}") as {
    data: { alerts: { fingerprint: string; status: string; acknowledged: boolean }[] };
  };
  return body.data.alerts.map(
    (alert) => `${alert.fingerprint}:${alert.status}${alert.acknowledged ? ":ack" : ""}`,
  );
}

describe("planFlush on a fake clock: group_wait", () => {
  it("holds a new group's first notification for group_wait and sends its alerts together", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceBy(10 * second);
    driver.receive(about(driver, "income"));

    driver.advanceTo(start + groupWait - 1);
    expect(driver.sent).toEqual([]);
    driver.advanceTo(start + groupWait);
    expect(driver.sent).toHaveLength(1);
    expect(driver.sent[0]?.reason).toBe("new");
    expect(listed(driver.sent[0])).toEqual(["fp-age:firing", "fp-income:firing"]);
    expect(driver.sent[0]?.sequence).toBe(1);
  });

  it("flushes at once a group whose first alert started more than group_wait ago (a restart, a replay)", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age", { observedAt: new Date(start - 10 * minute) }));
    driver.advanceBy(0);
    expect(driver.sentAt).toEqual([start]);
  });
});

describe("planFlush on a fake clock: group_interval", () => {
  it("sends an alert that joins after the first notification group_interval after it, with the others", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait + second);
    driver.receive(about(driver, "income"));

    driver.advanceTo(start + groupWait + groupInterval - 1);
    expect(driver.sent).toHaveLength(1);
    driver.advanceTo(start + groupWait + groupInterval);
    expect(driver.sentAt).toEqual([start + groupWait, start + groupWait + groupInterval]);
    expect(driver.sent[1]?.reason).toBe("firing-changed");
    expect(listed(driver.sent[1])).toEqual(["fp-age:firing", "fp-income:firing"]);
  });

  it("says nothing at a tick where nothing changed, and keeps ticking every group_interval", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait + 3 * groupInterval);
    expect(driver.sent).toHaveLength(1);
    // Four flushes: the first, then one per group_interval, each planning the next.
    expect(driver.plans.map((plan) => plan.next)).toEqual(
      [1, 2, 3, 4].map((n) => ({ type: "regular", at: start + groupWait + n * groupInterval })),
    );
  });
});

describe("planFlush on a fake clock: repeat_interval", () => {
  it("repeats a firing group at the first tick at least repeat_interval after the last notification", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait + repeatInterval + groupInterval);
    // The tick at exactly repeat_interval (12 intervals later) repeats.
    expect(driver.sentAt).toEqual([start + groupWait, start + groupWait + repeatInterval]);
    expect(driver.sent.map((n) => n.reason)).toEqual(["new", "repeat"]);
    expect(driver.sent.map((n) => n.sequence)).toEqual([1, 2]);
    expect(new Set(driver.sent.map((n) => n.id)).size).toBe(2);
  });
});

describe("planFlush on a fake clock: acknowledgement", () => {
  it("tells an integration that shows acknowledgement at once, not at the next tick, and stops repeats", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait + minute);
    driver.acknowledge("fp-age");
    driver.advanceBy(0);

    expect(driver.sent.map((n) => n.reason)).toEqual(["new", "acknowledged"]);
    expect(driver.sentAt[1]).toBe(start + groupWait + minute);
    expect(listed(driver.sent[1])).toEqual(["fp-age:firing:ack"]);
    // The early flush kept the group's regular time.
    expect(driver.plans.at(-1)?.next).toEqual({ type: "early", at: start + groupWait + groupInterval });

    driver.advanceTo(start + 3 * repeatInterval);
    expect(driver.sent).toHaveLength(2);
  });

  it("tells it when an alert is unacknowledged, at once; repeats resume repeat_interval later", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait + minute);
    driver.acknowledge("fp-age");
    driver.advanceTo(start + 2 * repeatInterval);
    driver.unacknowledge("fp-age");
    driver.advanceBy(0);

    expect(driver.sent.map((n) => n.reason)).toEqual(["new", "acknowledged", "unacknowledged"]);
    expect(driver.sentAt[2]).toBe(start + 2 * repeatInterval);
    driver.advanceBy(repeatInterval + groupInterval);
    expect(driver.sent.map((n) => n.reason)).toEqual(["new", "acknowledged", "unacknowledged", "repeat"]);
    expect((driver.sentAt[3] ?? 0) - (driver.sentAt[2] ?? 0)).toBeGreaterThanOrEqual(repeatInterval);
  });

  it("sends nothing but acknowledgement news before group_interval: a new alert waits for the tick", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait + minute);
    driver.receive(about(driver, "income"));
    driver.acknowledge("fp-age");
    driver.advanceBy(0);

    // "income" fires unacknowledged: the group is not all acknowledged, and "income" is not news yet.
    expect(driver.sent.map((n) => n.reason)).toEqual(["new"]);
    driver.advanceTo(start + groupWait + groupInterval);
    expect(driver.sent.map((n) => n.reason)).toEqual(["new", "firing-changed"]);
    expect(listed(driver.sent[1])).toEqual(["fp-age:firing:ack", "fp-income:firing"]);
  });

  it("says nothing about acknowledgement to an integration that cannot show it", () => {
    const driver = new FlushDriver(routing("alertmanager"), start);
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait + minute);
    driver.acknowledge("fp-age");
    driver.advanceTo(start + 3 * repeatInterval);
    // Acknowledged: no acknowledgement notice (the format has none), and no repeats either.
    expect(driver.sent.map((n) => n.reason)).toEqual(["new"]);
  });
});

describe("planFlush on a fake clock: resolution", () => {
  it("reports a partial resolution at the next tick; the resolved alert then leaves the group", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"), about(driver, "income"));
    driver.advanceTo(start + groupWait + minute);
    driver.receive(resolving(driver, "income"));

    driver.advanceTo(start + groupWait + groupInterval);
    expect(driver.sent.map((n) => n.reason)).toEqual(["new", "resolved-changed"]);
    expect(listed(driver.sent[1])).toEqual(["fp-age:firing", "fp-income:resolved"]);
    expect(driver.plans.at(-1)?.leaving).toEqual(["fp-income"]);

    // At the repeat, only what is still in the group is listed.
    driver.advanceTo(start + groupWait + groupInterval + repeatInterval);
    expect(driver.sent.at(-1)?.reason).toBe("repeat");
    expect(listed(driver.sent.at(-1))).toEqual(["fp-age:firing"]);
  });

  it("sends the resolution of the whole group at the next tick, not before, and the group ends", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait + minute);
    driver.receive(resolving(driver, "age"));
    driver.advanceTo(start + groupWait + groupInterval - 1);
    expect(driver.sent).toHaveLength(1);

    driver.advanceTo(start + groupWait + groupInterval);
    expect(driver.sent.map((n) => n.reason)).toEqual(["new", "all-resolved"]);
    expect(listed(driver.sent[1])).toEqual(["fp-age:resolved"]);
    expect(driver.plans.at(-1)?.next.type).toBe("end");
    expect(driver.hasGroup()).toBe(false);
    driver.advanceBy(3 * repeatInterval);
    expect(driver.sent).toHaveLength(2);
  });

  it("tells the receiver of a resolution even with send_resolved off, without listing resolved alerts elsewhere", () => {
    const config = parseRoutingConfig(
      routingYaml().replace("payload: argus", "payload: argus\n        send_resolved: false"),
      () => "",
    );
    const driver = new FlushDriver(config, start);
    driver.receive(about(driver, "age"), about(driver, "income"));
    driver.advanceTo(start + groupWait + minute);
    driver.receive(resolving(driver, "income"));
    driver.advanceTo(start + groupWait + groupInterval);
    // A partial resolution is no news without send_resolved.
    expect(driver.sent).toHaveLength(1);
    driver.receive(resolving(driver, "age"));
    driver.advanceTo(start + groupWait + 2 * groupInterval);
    // All resolved is logged (so the log stops listing them firing) but the webhook sends nothing.
    expect(driver.sent).toHaveLength(1);
    expect(driver.plans.at(-1)?.logUpdates.size).toBe(1);
    expect(driver.hasGroup()).toBe(false);
  });

  it("stays quiet about alerts that fired and resolved before the group's first notification", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceBy(10 * second);
    driver.receive(resolving(driver, "age"));
    driver.advanceTo(start + groupWait);
    expect(driver.sent).toEqual([]);
    expect(driver.hasGroup()).toBe(false);
  });
});

describe("planFlush on a fake clock: a group that ends and forms again", () => {
  it("waits until group_interval after its key last notified, then notifies anew", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait + minute);
    driver.receive(resolving(driver, "age"));
    const resolvedAt = start + groupWait + groupInterval;
    driver.advanceTo(resolvedAt);
    expect(driver.hasGroup()).toBe(false);

    // It drifts again a minute later: Alertmanager would notify group_wait later; this waits for the tick.
    driver.advanceTo(resolvedAt + minute);
    driver.receive(about(driver, "age"));
    driver.advanceTo(resolvedAt + minute + groupWait);
    expect(driver.sent).toHaveLength(2);
    expect(driver.plans.at(-1)?.next).toEqual({ type: "held", until: resolvedAt + groupInterval });

    driver.advanceTo(resolvedAt + groupInterval);
    expect(driver.sent.map((n) => n.reason)).toEqual(["new", "all-resolved", "new"]);
    expect(driver.sentAt[2]).toBe(resolvedAt + groupInterval);
    // Numbering goes on across the groups: no webhook-id is reused.
    expect(driver.sent.map((n) => n.sequence)).toEqual([1, 2, 3]);
  });

  it("tells what fired and resolved while it was held, as resolved, then ends", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait + minute);
    driver.receive(resolving(driver, "age"));
    const resolvedAt = start + groupWait + groupInterval;
    driver.advanceTo(resolvedAt + minute);
    driver.receive(about(driver, "income"));
    driver.advanceTo(resolvedAt + 3 * minute);
    driver.receive(resolving(driver, "income"));

    driver.advanceTo(resolvedAt + groupInterval);
    expect(driver.sent.map((n) => n.reason)).toEqual(["new", "all-resolved", "resolved-changed"]);
    expect(listed(driver.sent[2])).toEqual(["fp-income:resolved"]);
    expect(driver.hasGroup()).toBe(false);
  });

  it("says nothing of what fired and resolved within group_wait of a group that was not held", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait + minute);
    driver.receive(resolving(driver, "age"));
    const resolvedAt = start + groupWait + groupInterval;
    driver.advanceTo(resolvedAt + groupInterval + minute);
    driver.receive(about(driver, "income"));
    driver.advanceBy(10 * second);
    driver.receive(resolving(driver, "income"));
    driver.advanceBy(groupWait + groupInterval);
    expect(driver.sent.map((n) => n.reason)).toEqual(["new", "all-resolved"]);
    expect(driver.hasGroup()).toBe(false);
  });

  it("notifies group_wait after it forms when its key last notified more than group_interval ago", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait + minute);
    driver.receive(resolving(driver, "age"));
    const resolvedAt = start + groupWait + groupInterval;
    driver.advanceTo(resolvedAt + groupInterval + minute);
    driver.receive(about(driver, "age"));
    driver.advanceBy(groupWait);
    expect(driver.sentAt.at(-1)).toBe(resolvedAt + groupInterval + minute + groupWait);
  });

  it("is not held by a group of the same key that never notified", () => {
    const driver = new FlushDriver(routing(), start);
    driver.receive(about(driver, "age"));
    driver.advanceBy(10 * second);
    driver.receive(resolving(driver, "age"));
    driver.advanceTo(start + groupWait);
    driver.receive(about(driver, "age"));
    driver.advanceBy(groupWait);
    expect(driver.sentAt).toEqual([start + 2 * groupWait]);
  });
});

describe("planFlush: mutes and configuration", () => {
  it("leaves silenced alerts out, and says nothing for a group whose alerts are all silenced", () => {
    const driver = new FlushDriver(routing(), start);
    driver.mutes = {
      silences: [
        {
          id: "s-1",
          tenant: "acme",
          matchers: [{ name: "feature", type: "=", value: "income" }],
          startsAt: new Date(start).toISOString(),
          endsAt: new Date(start + repeatInterval).toISOString(),
          createdBy: "oncall",
          comment: "known",
          createdAt: new Date(start).toISOString(),
          updatedAt: new Date(start).toISOString(),
        },
      ],
      inhibitionSources: [],
    };
    driver.receive(about(driver, "age"), about(driver, "income"));
    driver.advanceTo(start + groupWait);
    expect(listed(driver.sent[0])).toEqual(["fp-age:firing"]);
    expect(driver.sent[0]?.fingerprints).toEqual(["fp-age"]);
  });

  it("leaves inhibited alerts out", () => {
    const config = routing(
      "argus",
      `inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [model]`,
    );
    const driver = new FlushDriver(config, start);
    driver.mutes = {
      silences: [],
      inhibitionSources: [
        { fingerprint: "fp-dataset", tenant: "acme", labels: { model: "credit-risk", severity: "critical" } },
      ],
    };
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait + groupInterval);
    expect(driver.sent).toEqual([]);
  });

  it("notifies nothing while the route's mute time interval lasts, and catches up at the first tick after", () => {
    const config = parseRoutingConfig(
      routingYaml().replace(
        "  repeat_interval: 1h",
        `  repeat_interval: 1h
  routes:
    - matchers: ['model="credit-risk"']
      mute_time_intervals: [night]
time_intervals:
  - name: night
    time_intervals:
      - times: [{ start_time: "05:00", end_time: "05:10" }]`,
      ),
      () => "",
    );
    // t(0) is 05:00 UTC: muted until 05:10.
    const driver = new FlushDriver(config, start);
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + 10 * minute - 1);
    expect(driver.sent).toEqual([]);
    driver.advanceTo(start + groupWait + 2 * groupInterval);
    expect(driver.sentAt).toEqual([start + groupWait + 2 * groupInterval]);
  });

  it("ends a group whose route is gone (reloaded away), keeping its log for the numbering", () => {
    const withChild = routingYaml().replace(
      "  repeat_interval: 1h",
      `  repeat_interval: 1h
  routes:
    - matchers: ['model="credit-risk"']`,
    );
    const driver = new FlushDriver(
      parseRoutingConfig(withChild, () => ""),
      start,
    );
    driver.receive(about(driver, "age"));
    driver.advanceTo(start + groupWait);
    driver.reload(routing());
    driver.advanceTo(start + groupWait + groupInterval);
    const plan = driver.plans.at(-1);
    expect(plan?.notifications).toEqual([]);
    expect(plan?.next.type).toBe("end");
    expect(plan?.next.type === "end" && [...plan.next.log.values()].map((entry) => entry.sequence)).toEqual([
      1,
    ]);
  });

  it("plans the same flush for the same inputs (no clock but `now`, no I/O)", () => {
    const config = routing();
    const input = {
      group: {
        gid: "g",
        groupKey: 'acme/{}:{model="credit-risk"}',
        routeKey: config.route.key,
        tenant: "acme",
        groupLabels: { model: "credit-risk" },
        regularAt: 0,
        flushedAt: 0,
        members: ["fp-gone"],
        log: new Map(),
      },
      alerts: [],
      acks: new Map(),
      mutes: { silences: [], inhibitionSources: [] },
      routing: config,
      now: new Date(start),
    };
    // Its only alert expired: nothing to say, and the group ends.
    expect(planFlush(input)).toEqual(planFlush(input));
    expect(planFlush(input)).toMatchObject({
      notifications: [],
      leaving: ["fp-gone"],
      next: { type: "end" },
    });
  });
});
