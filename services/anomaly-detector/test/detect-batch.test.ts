import { createHash } from "node:crypto";
// detectBatch over whole simulated streams (fake clock: every time is an event time), at 1 and 12
// partitions: what on-call would see from the anomaly-detector, without Kafka or Redis.
import { FindingKind, type InferenceEvent, Severity } from "@argus/proto";
import { seededUniform } from "@argus/stats";
import { beforeAll, describe, expect, it } from "vitest";
import { boundaryQueries, jbdaQueries, membershipQueries, uniformQueries } from "./attackers.js";
import {
  benignArrivals,
  mergeByTime,
  PartitionedDetector,
  TabularModel,
  testPolicies,
} from "./detect-sim.js";

const T0 = Date.parse("2026-03-02T08:00:00Z");
const minute = 60_000;
const CPU_BUDGET_MS = 120_000;

const CLIENT_KINDS = [
  FindingKind.FINDING_KIND_EXTRACTION,
  FindingKind.FINDING_KIND_ADVERSARIAL_PROBE,
  FindingKind.FINDING_KIND_MEMBERSHIP_PROBE,
  FindingKind.FINDING_KIND_RATE_ABUSE,
  FindingKind.FINDING_KIND_RESOURCE_ABUSE,
];

/** Benign traffic of `clients` clients over both models (every client calls both, as with one SDK key). */
function benignStream(
  models: TabularModel[],
  seed: number,
  clients: number,
  spanMs: number,
): InferenceEvent[] {
  const random = seededUniform(seed);
  const ids = Array.from({ length: clients }, (_, i) => `benign-${seed}-${i}`);
  const streams = models.map((model, m) =>
    benignArrivals(random, ids, 1, 1, T0, spanMs).map((arrival, i) =>
      model.event(arrival.client, model.sample(random), arrival.atMs, `b-${seed}-${m}-${i}`),
    ),
  );
  return mergeByTime(...streams);
}

/** An attacker's queries at a steady `perMin`, starting at `startMs`. */
function attackStream(
  model: TabularModel,
  client: string,
  queries: number[][],
  startMs: number,
  perMin: number,
): InferenceEvent[] {
  return queries.map((x, i) => model.event(client, x, startMs + (i * minute) / perMin, `${client}-${i}`));
}

/** The attacker's query number (1-based) at its first finding of `kind`, or undefined. */
function queriesBeforeCaught(
  detector: PartitionedDetector,
  client: string,
  kind: FindingKind,
): number | undefined {
  const caught = detector.findings.find((c) => c.finding.labels.client === client && c.finding.kind === kind);
  if (!caught) return undefined;
  return Number(caught.event.eventId.slice(client.length + 1)) + 1;
}

function benignFlagged(detector: PartitionedDetector): string[] {
  return [...detector.clientFindings(CLIENT_KINDS).entries()]
    .filter(([client]) => client.startsWith("benign-"))
    .map(([client, caught]) => `${client}: ${caught.map((c) => c.finding.summary).join(" | ")}`);
}

const credit = new TabularModel("credit", 30, 11);
const merchant = new TabularModel("merchant", 64, 12);

describe("detectBatch: never stops watching", () => {
  it("one client calling a 30- and a 64-feature model (the crash that stopped the consumer) is watched on both", () => {
    const detector = new PartitionedDetector(1, testPolicies());
    const random = seededUniform(3);
    const events: InferenceEvent[] = [];
    for (let i = 0; i < 2_000; i++) {
      const model = i % 2 === 0 ? credit : merchant;
      events.push(model.event("shared-client", model.sample(random), T0 + i * 1_000, `e-${i}`));
    }
    detector.run(events);
    expect(detector.failures).toEqual([]);
    expect(detector.profiles.has("acme\u0000credit")).toBe(true);
    expect(detector.profiles.has("acme\u0000merchant")).toBe(true);
    const client = detector.clients[0]?.get("acme\u0000shared-client");
    expect(client?.models.credit?.queries).toBe(1_000);
    expect(client?.models.merchant?.queries).toBe(1_000);
  });

  it("a detector that throws on one event fails that event only, named, and the batch goes on", () => {
    const random = seededUniform(4);
    const events = Array.from({ length: 40 }, (_, i) =>
      credit.event(`c-${i % 4}`, credit.sample(random), T0 + i * 1_000, `e-${i}`),
    );
    const detector = new PartitionedDetector(
      1,
      testPolicies({
        scanText: (event) => {
          if (event.eventId === "e-17") throw new TypeError("unexpected shape");
          return [];
        },
      }),
      40,
    );
    detector.run(events);
    expect(detector.failures.map((f) => [f.event.eventId, f.detector, f.error])).toEqual([
      ["e-17", "text-scanners", "TypeError: unexpected shape"],
    ]);
    expect(detector.processed).toBe(40);
    const queries = [...(detector.clients[0]?.values() ?? [])].reduce(
      (n, c) => n + (c.models.credit?.queries ?? 0),
      0,
    );
    expect(queries).toBe(39);
  });
});

describe("detectBatch: model-wide, whatever the partition count", () => {
  it("warm-up completes after the same number of model events with 1 and with 12 partitions", () => {
    const fittedAfter = (partitions: number) => {
      const detector = new PartitionedDetector(partitions, testPolicies(), 1);
      const random = seededUniform(5);
      for (let i = 0; i < 1_000; i++) {
        detector.run([credit.event(`client-${i % 97}`, credit.sample(random), T0 + i * 1_000, `w-${i}`)]);
        if (detector.profiles.has("acme\u0000credit")) return i + 1;
      }
      return undefined;
    };
    const warmup = testPolicies().profile.warmupEvents;
    expect(fittedAfter(1)).toBe(warmup);
    expect(fittedAfter(12)).toBe(warmup);
    // Two thousand one-event batches: ~3.5 s alone, far more on a busy 2-core machine.
  }, 60_000);

  it(
    "an extracting client is caught at about the same query count whichever of 12 partitions its key lands on",
    () => {
      const benign = benignStream([credit], 21, 60, 90 * minute);
      const keys = ["attacker-a", "attacker-b", "attacker-c", "attacker-d", "attacker-e"];
      const probe = new PartitionedDetector(12, testPolicies());
      const partitions = new Set(keys.map((key) => probe.partitionOf(credit.event(key, [], T0, key))));
      expect(partitions.size).toBeGreaterThanOrEqual(3);
      const counts = keys.map((key) => {
        const detector = new PartitionedDetector(12, testPolicies());
        const queries = uniformQueries(credit, seededUniform(99), 400);
        detector.run(mergeByTime(benign, attackStream(credit, key, queries, T0 + 45 * minute, 4)));
        return queriesBeforeCaught(detector, key, FindingKind.FINDING_KIND_EXTRACTION);
      });
      for (const count of counts) expect(count).toBeDefined();
      const found = counts as number[];
      expect(Math.max(...found) - Math.min(...found)).toBeLessThanOrEqual(
        Math.ceil(0.1 * Math.min(...found)),
      );
    },
    CPU_BUDGET_MS,
  );
});

describe("detectBatch: attack families among benign clients (12 partitions)", () => {
  const span = 120 * minute;
  const attackStart = T0 + 50 * minute;
  const families = [
    {
      name: "Knockoff-style uniform extraction",
      client: "atk-uniform",
      model: credit,
      kind: FindingKind.FINDING_KIND_EXTRACTION,
      queries: uniformQueries,
    },
    {
      name: "JbDA synthetic extraction",
      client: "atk-jbda",
      model: merchant,
      kind: FindingKind.FINDING_KIND_EXTRACTION,
      queries: jbdaQueries,
    },
    {
      name: "HopSkipJump-like boundary probing",
      client: "atk-boundary",
      model: credit,
      kind: FindingKind.FINDING_KIND_ADVERSARIAL_PROBE,
      queries: boundaryQueries,
    },
    {
      name: "membership probing",
      client: "atk-membership",
      model: merchant,
      kind: FindingKind.FINDING_KIND_MEMBERSHIP_PROBE,
      queries: membershipQueries,
    },
  ];
  const benign = benignStream([credit, merchant], 31, 120, span);
  // One replay with every attacker among the benign clients (each attacker its own client).
  let attacked: PartitionedDetector;
  let benignOnly: PartitionedDetector;
  beforeAll(() => {
    attacked = new PartitionedDetector(12, testPolicies());
    const attacks = families.map((family, f) =>
      attackStream(
        family.model,
        family.client,
        family.queries(family.model, seededUniform(100 + f), 500),
        attackStart + f * 7_000,
        6,
      ),
    );
    attacked.run(mergeByTime(benign, ...attacks));
    benignOnly = new PartitionedDetector(12, testPolicies());
    benignOnly.run(benign);
  }, CPU_BUDGET_MS);

  it("golden: the same seeded stream gives the same findings (a speed-up must not change a verdict)", async () => {
    // Client-level findings in full; the many per-event outliers as a digest of what they say.
    const findings = attacked.findings.map(({ event, finding }) => {
      const detail = { summary: finding.summary, evidence: finding.evidence };
      return {
        event: event.eventId,
        kind: FindingKind[finding.kind].replace("FINDING_KIND_", ""),
        client: finding.subject?.clientId ?? "",
        score: Number(finding.score.toPrecision(12)),
        ...(finding.kind === FindingKind.FINDING_KIND_OUTLIER
          ? { detail: createHash("sha256").update(JSON.stringify(detail)).digest("hex").slice(0, 16) }
          : { severity: Severity[finding.severity], ...detail }),
      };
    });
    expect(findings.length).toBeGreaterThan(50);
    await expect(`${findings.map((f) => JSON.stringify(f)).join("\n")}\n`).toMatchFileSnapshot(
      "./golden/detect-batch-findings.jsonl",
    );
  });

  for (const family of families) {
    it(`${family.name} is caught before the attacker's 300th query`, () => {
      const caughtAt = queriesBeforeCaught(attacked, family.client, family.kind);
      expect(caughtAt, `${family.name} not caught`).toBeDefined();
      expect(caughtAt).toBeLessThan(300);
    });
  }

  it("no benign client is flagged while attackers are about", () => {
    expect(attacked.failures).toEqual([]);
    expect(benignFlagged(attacked)).toEqual([]);
  });

  it("a benign-only stream pages nobody: no client is flagged and outliers are info", () => {
    expect(benignFlagged(benignOnly)).toEqual([]);
    expect(benignOnly.findings.length).toBeGreaterThan(0);
    const paging = benignOnly.findings.filter((c) => c.finding.severity !== Severity.SEVERITY_INFO);
    expect(paging.map((c) => c.finding.summary)).toEqual([]);
  });
});

describe("detectBatch: request rates relative to the model's clients", () => {
  it(
    "a client bursting to 25× the median rate is flagged within 30 s; a steady heavy service account is not",
    () => {
      const random = seededUniform(41);
      const span = 90 * minute;
      const benign = benignStream([credit], 41, 80, span);
      const at = (client: string, times: number[]) =>
        times.map((t, i) => credit.event(client, credit.sample(random), t, `${client}-${i}`));
      const burstStart = T0 + 60 * minute;
      // The burster is an ordinary client (1 a minute) until it sends 25 a minute for two minutes.
      const ordinary = Array.from({ length: 60 }, (_, i) => T0 + i * minute + 17_000);
      const burst = Array.from({ length: 50 }, (_, i) => burstStart + (i * minute) / 25);
      const serviceAccount = Array.from({ length: 90 * 30 }, (_, i) => T0 + (i * minute) / 30);
      const detector = new PartitionedDetector(12, testPolicies());
      detector.run(
        mergeByTime(benign, at("burster", [...ordinary, ...burst]), at("service-account", serviceAccount)),
      );
      const flagged = detector.clientFindings([FindingKind.FINDING_KIND_RATE_ABUSE]);
      const first = flagged.get("burster")?.[0];
      if (!first) throw new Error("the burst was not flagged");
      const delayMs = (first.event.eventTime as Date).getTime() - burstStart;
      expect(delayMs).toBeGreaterThanOrEqual(0);
      expect(delayMs).toBeLessThanOrEqual(30_000);
      expect(flagged.has("service-account")).toBe(false);
      expect([...flagged.keys()].filter((client) => client.startsWith("benign-"))).toEqual([]);
    },
    CPU_BUDGET_MS,
  );
});
