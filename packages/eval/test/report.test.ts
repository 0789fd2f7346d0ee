import type { ReceivedWebhook } from "@argus/testkit";
import { describe, expect, it } from "vitest";
import { pagesSeen } from "../src/pages.js";
import { formatSummary, type PagesSeen, type StreamFacts, summarize } from "../src/report.js";
import { evaluate, type ObservedFinding, type RunTruth } from "../src/scoring.js";

const stream: StreamFacts = {
  events: 10,
  benignClients: 1,
  attackers: 1,
  textEvents: 0,
  textAttackEvents: 0,
  distinctBenignPrompts: 0,
  partitions: 12,
  detectorReplicas: 3,
  simulatedMinutes: 120,
};
const truth: RunTruth = {
  periodStartMs: 0,
  periodMs: 7_200_000,
  attacks: [
    {
      name: "membership",
      family: "membership",
      modelId: "merchant-category",
      expectedKinds: ["FINDING_KIND_MEMBERSHIP_PROBE"],
      pseudonym: "p1.attacker",
      events: Array.from({ length: 400 }, (_, i) => ({ eventId: `a-${i}`, atMs: i })),
      params: {},
    },
  ],
  benign: [{ clientId: "client-0001", pseudonym: "p1.benign", serviceAccount: false }],
  textEvents: [],
};
const caught: ObservedFinding = {
  findingId: "f1",
  kind: "FINDING_KIND_MEMBERSHIP_PROBE",
  modelId: "merchant-category",
  detector: "membership",
  clientId: "p1.attacker",
  eventIds: ["a-40"],
  observedAtMs: undefined,
  summary: "",
  clientLevel: true,
};
const noPages: PagesSeen = { pages: 0, alertKinds: {}, pagesNamingBenign: 0, unverified: 0 };

function verdict(findings: ObservedFinding[], benignRunPages: PagesSeen | null) {
  return summarize({
    seed: 1,
    quick: false,
    stream,
    evaluation: evaluate(truth, findings),
    attackRunPages: noPages,
    benignRunPages,
    wallSeconds: 1,
  });
}

describe("the verdict", () => {
  it("passes when every attack is caught in time, no benign client is flagged and the benign run paged no one", () => {
    const summary = verdict([caught], noPages);
    expect(summary.pass).toBe(true);
    expect(summary.failures).toEqual([]);
    expect(formatSummary(summary, evaluate(truth, [caught])).at(-1)).toBe("every target holds");
  });

  it("fails, saying why, on a missed attack, a flagged benign client or a page from benign traffic", () => {
    const flagged = { ...caught, findingId: "f2", kind: "FINDING_KIND_RATE_ABUSE", clientId: "p1.benign" };
    const summary = verdict([flagged], { ...noPages, pages: 2 });
    expect(summary.pass).toBe(false);
    expect(summary.failures).toEqual([
      "membership: missed",
      "1 benign clients flagged by client-level findings",
      "2 pages from the benign-only run",
    ]);
  });

  it("does not pass when the benign-only run was skipped: its pages were not measured", () => {
    expect(verdict([caught], null)).toMatchObject({
      pass: false,
      failures: ["benign-only run not made: pages not measured"],
    });
  });
});

describe("pages", () => {
  const webhook = (labels: Record<string, string>, verified = true): ReceivedWebhook => ({
    id: "msg",
    receivedAt: 0,
    headers: {},
    body: { type: "alert.firing", data: { alerts: [{ labels }] } },
    answered: verified ? 204 : 401,
    verified,
  });

  it("count verified deliveries, those naming a benign client, and their alerts' kinds", () => {
    const seen = pagesSeen(
      [
        webhook({ kind: "data_leakage", client: "p1.benign" }),
        webhook({ kind: "extraction", client: "p1.attacker" }),
        webhook({ alertname: "ModelDrift" }),
        webhook({ kind: "extraction", client: "p1.benign" }, false),
      ],
      new Set(["p1.benign"]),
    );
    expect(seen).toEqual({
      pages: 3,
      pagesNamingBenign: 1,
      unverified: 1,
      alertKinds: { data_leakage: 1, extraction: 1, ModelDrift: 1 },
    });
  });
});
