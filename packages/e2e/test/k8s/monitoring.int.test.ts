// The metrics that deploy/k8s's alert rules and dashboard take as exported are on a running
// service's /metrics (the alerter's: the kit's metrics are the same in every service).
import { randomBytes } from "node:crypto";
import { alerterConfigSchema, startAlerter } from "@argus/alerter";
import { loadConfig, type RunningService } from "@argus/runtime";
import { isolatedServiceEnv, uniqueNamespace } from "@argus/testkit";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { exportedMetrics } from "./monitoring.js";

describe("the metrics the monitoring component relies on", () => {
  const stack = { kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") };
  let alerter: RunningService;

  beforeAll(async () => {
    const env = isolatedServiceEnv(stack, uniqueNamespace("k8s-metrics"), {
      // Never called: the test publishes no finding.
      ALERTER_WEBHOOK_URL: "https://receiver.example.invalid/argus",
      ALERTER_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString("base64")}`,
    });
    alerter = await startAlerter(loadConfig(alerterConfigSchema, env));
  });

  afterAll(async () => {
    await alerter?.stop();
  });

  it("are all on /metrics of a running service", async () => {
    const response = await fetch(`http://127.0.0.1:${alerter.httpPort}/metrics`);
    expect(response.status).toBe(200);
    const families = [...(await response.text()).matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]);
    // `up` is Prometheus' own series about each target, not on /metrics.
    const missing = exportedMetrics.filter((metric) => metric !== "up" && !families.includes(metric));
    expect(missing).toEqual([]);
  });
});
