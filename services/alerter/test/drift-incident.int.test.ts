import { type Finding, FindingKind, Severity } from "@argus/proto";
import { seededUniform } from "@argus/stats";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { listAlerts } from "../src/use-cases/list-alerts.js";
import { FakeClockAlerter } from "./fake-clock-alerter.js";
import { deliveredBodies } from "./harness.js";

const minute = 60_000;
const windowMs = 5 * minute;
const model = "credit-risk";
const features = Array.from({ length: 150 }, (_, i) => `f${String(i).padStart(3, "0")}`);

/**
 * Two hours of 5-minute windows of one model: "drift" windows where a changing subset of the 150
 * features drifts (each feature at least once in the first hour), "calm" windows where every
 * signal resolves. The incident flaps: it calms down, its group ends, and it comes back minutes
 * later, three times.
 */
const schedule = [
  ...["drift", "drift", "drift", "drift", "calm", "calm", "calm", "drift", "drift", "calm", "calm", "calm"],
  ...["calm", "calm", "drift", "drift", "drift", "drift", "drift", "calm", "calm", "calm", "calm", "calm"],
] as const;
const firstHourDriftWindows = schedule.slice(0, 12).flatMap((kind, k) => (kind === "drift" ? [k] : []));

/** The features that drift in window `k` (0-based). */
function driftedIn(k: number, next: () => number): Set<string> {
  if (schedule[k] === "calm") return new Set();
  const slot = firstHourDriftWindows.indexOf(k);
  return new Set(
    features.filter(
      (_feature, i) => next() < 0.3 || (slot >= 0 && i % firstHourDriftWindows.length === slot),
    ),
  );
}

/**
 * The findings of one evaluated window, shaped as the drift detector publishes them: one per signal
 * (each feature and its quality, prediction, multivariate, the dataset verdict), firing when it
 * drifted and resolving when not, a fingerprint per signal and an id per signal and window.
 */
function windowFindings(windowEnd: Date, drifted: Set<string>, qualityDrifted: Set<string>): Finding[] {
  const anyDrift = drifted.size > 0;
  const signal = (subject: string, isDrifted: boolean, severity = Severity.SEVERITY_WARNING): Finding => ({
    findingId: `drift|${model}|${subject}|${windowEnd.getTime()}`,
    kind: FindingKind.FINDING_KIND_DRIFT,
    severity,
    modelId: model,
    tenant: "acme",
    subject: { feature: subject, clientId: "", source: "" },
    score: isDrifted ? 0.31 : 0.04,
    threshold: 0.2,
    summary: `${model}: feature "${subject}" ${isDrifted ? "drifted" : "no drift"}`,
    evidence: {
      test: "psi",
      statistic: isDrifted ? "0.31" : "0.04",
      psi: isDrifted ? "0.31" : "0.04",
      top_bins: JSON.stringify(Array.from({ length: 5 }, (_, bin) => [bin, 0.2, isDrifted ? 0.35 : 0.21])),
      window_start: new Date(windowEnd.getTime() - windowMs).toISOString(),
      window_end: windowEnd.toISOString(),
      baseline_version: "3",
      events: "5000",
    },
    labels: {
      alertname: "DataDrift",
      kind: "drift",
      model,
      feature: subject,
      severity: severity === Severity.SEVERITY_CRITICAL ? "critical" : "warning",
      tenant: "acme",
    },
    fingerprint: `drift|acme|${model}|${subject}`,
    observedAt: windowEnd,
    detector: "drift-detector",
    sampleEventIds: [],
    resolved: !isDrifted,
  });
  return [
    ...features.flatMap((feature) => [
      signal(feature, drifted.has(feature)),
      signal(`${feature}#quality`, qualityDrifted.has(feature)),
    ]),
    signal("__prediction__", anyDrift),
    signal("__multivariate__", anyDrift),
    signal("__dataset__", drifted.size >= features.length / 2, Severity.SEVERITY_CRITICAL),
  ];
}

interface DriftBody {
  type: string;
  timestamp: string;
  data: {
    reason: string;
    groupLabels: Record<string, string>;
    alerts: { fingerprint: string; status: string; labels: Record<string, string> }[];
  };
}

describe("a drift incident of one model under the default configuration (real Redis, fake clock)", () => {
  let alerter: FakeClockAlerter;
  // Four hours ago, on a window boundary: the run ends in the past, and the outbox signs with the real clock.
  const start = Math.floor((Date.now() - 4 * 3_600_000) / windowMs) * windowMs;
  const driftedByWindow: Set<string>[] = [];

  beforeAll(async () => {
    alerter = await FakeClockAlerter.start(inject("redisUrl"), start);
    const next = seededUniform(42);
    for (let k = 0; k < schedule.length; k++) {
      const windowEnd = start + (k + 1) * windowMs;
      const drifted = driftedIn(k, next);
      const quality = new Set(features.filter(() => schedule[k] === "drift" && next() < 0.05));
      driftedByWindow.push(drifted);
      const findings = windowFindings(new Date(windowEnd), drifted, quality);
      // A window's findings reach the alerter in parts over half a minute (partitions, batches).
      const third = Math.ceil(findings.length / 3);
      for (const [part, delay] of [5_000, 15_000, 30_000].entries()) {
        await alerter.advanceTo(windowEnd + delay);
        await alerter.consume(findings.slice(part * third, (part + 1) * third));
      }
    }
    // Past the last window's flush: the incident is over.
    await alerter.advanceTo(start + (schedule.length + 8) * windowMs);
  }, 120_000);

  afterAll(async () => {
    await alerter?.stop();
  });

  /** What the receiver accepted, each at the (fake) time its flush decided it. */
  const notifications = () =>
    deliveredBodies(alerter.receiver).map((delivery) => {
      const body = delivery.body as unknown as DriftBody;
      return { at: Date.parse(body.timestamp), body };
    });

  it("sends at most 3 notifications in the incident's first hour, and in any hour of it", () => {
    const sent = notifications();
    const firstHour = sent.filter((n) => n.at >= start && n.at <= start + 60 * minute);
    expect(firstHour.length).toBeGreaterThanOrEqual(1);
    expect(firstHour.length).toBeLessThanOrEqual(3);
    for (const { at: from } of sent) {
      const inHour = sent.filter((n) => n.at >= from && n.at <= from + 60 * minute);
      expect(
        inHour.length,
        `notifications in the hour from ${new Date(from).toISOString()}`,
      ).toBeLessThanOrEqual(3);
    }
    // One incident: every notification is the model's group, and it is told when the incident ends.
    expect(new Set(sent.map((n) => JSON.stringify(n.body.data.groupLabels)))).toEqual(
      new Set([JSON.stringify({ model })]),
    );
    expect(sent.at(-1)?.body.type).toBe("alert.resolved");
  });

  it("sends the first notification once the whole first window arrived, listing every drifted feature", () => {
    const [first] = notifications();
    expect(first?.body.data.reason).toBe("new");
    const firing = first?.body.data.alerts.filter((a) => a.status === "firing").map((a) => a.labels.feature);
    expect(new Set(firing?.filter((feature) => features.includes(feature ?? "")))).toEqual(
      driftedByWindow[0],
    );
    expect(firing).toEqual(expect.arrayContaining(["__prediction__", "__multivariate__"]));
  });

  it("shows every feature that drifted in the first hour in a notification, and every feature in ListAlerts", async () => {
    const everDrifted = new Set(driftedByWindow.slice(0, 12).flatMap((drifted) => [...drifted]));
    expect(everDrifted.size).toBe(features.length);
    const notified = new Set(
      notifications().flatMap((n) => n.body.data.alerts.map((alert) => alert.labels.feature)),
    );
    for (const feature of features) expect(notified.has(feature), feature).toBe(true);

    const listed = new Set<string>();
    let after = null;
    do {
      const page = await listAlerts(
        alerter.store,
        { tenant: "acme", modelId: model, matchers: [] },
        after,
        100,
      );
      for (const { alert } of page.alerts) listed.add(alert.labels.feature ?? "");
      after = page.next;
    } while (after !== null);
    for (const feature of features) expect(listed.has(feature), feature).toBe(true);
  });
});
