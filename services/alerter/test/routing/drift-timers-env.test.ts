import { loadConfig } from "@argus/runtime";
import { describe, expect, it } from "vitest";
import { RoutingConfigSource } from "../../src/adapters/routing-config-source.js";
import { alerterConfigSchema } from "../../src/config.js";
import { groupsFor } from "../../src/domain/grouping.js";
import { findRoute } from "../../src/domain/routing/route.js";

const env = {
  KAFKA_BROKERS: "127.0.0.1:9092",
  REDIS_URL: "redis://127.0.0.1:6379",
  ALERTER_WEBHOOK_URL: "https://oncall.example.com/hooks/argus",
  ALERTER_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString("base64")}`,
};

/** The route a drift finding of model credit-risk takes in the environment-only configuration. */
function driftRoute(extra: Record<string, string>) {
  const routing = new RoutingConfigSource(loadConfig(alerterConfigSchema, { ...env, ...extra })).current;
  const [group] = groupsFor(routing, {
    tenant: "acme",
    fingerprint: "fp-age",
    labels: {
      alertname: "DataDrift",
      kind: "drift",
      model: "credit-risk",
      feature: "age",
      severity: "warning",
    },
  });
  return findRoute(routing.route, group?.routeKey ?? "");
}

describe("drift timers of the environment-only configuration", () => {
  it("default to group_wait 1m and group_interval 30m", () => {
    expect(driftRoute({})).toMatchObject({
      groupBy: ["model"],
      groupWaitMs: 60_000,
      groupIntervalMs: 1_800_000,
    });
  });

  it("follow ALERTER_DRIFT_GROUP_WAIT and ALERTER_DRIFT_GROUP_INTERVAL", () => {
    expect(
      driftRoute({ ALERTER_DRIFT_GROUP_WAIT: "2m30s", ALERTER_DRIFT_GROUP_INTERVAL: "1h" }),
    ).toMatchObject({
      groupWaitMs: 150_000,
      groupIntervalMs: 3_600_000,
    });
  });

  it("refuse a timer that is not a duration, naming the variable", () => {
    expect(() =>
      loadConfig(alerterConfigSchema, { ...env, ALERTER_DRIFT_GROUP_INTERVAL: "half an hour" }),
    ).toThrow(/ALERTER_DRIFT_GROUP_INTERVAL/);
  });
});
