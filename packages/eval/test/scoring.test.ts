import { describe, expect, it } from "vitest";
import {
  type AttackTruth,
  evaluate,
  falseAlarms,
  type ObservedFinding,
  scoreAttack,
  scoreText,
} from "../src/scoring.js";

const start = Date.UTC(2026, 11, 1);
const period = 2 * 3_600_000;

function attacker(overrides: Partial<AttackTruth> = {}): AttackTruth {
  return {
    name: "extraction-jbda",
    family: "extraction-jbda",
    modelId: "credit-scoring",
    expectedKinds: ["FINDING_KIND_EXTRACTION"],
    pseudonym: "p1.attacker",
    events: Array.from({ length: 500 }, (_, i) => ({ eventId: `a-${i}`, atMs: 60_000 + i * 1_000 })),
    params: {},
    ...overrides,
  };
}

function finding(overrides: Partial<ObservedFinding>): ObservedFinding {
  return {
    findingId: `f-${Math.random()}`,
    kind: "FINDING_KIND_EXTRACTION",
    modelId: "credit-scoring",
    detector: "test",
    clientId: "p1.attacker",
    eventIds: [],
    observedAtMs: undefined,
    summary: "",
    clientLevel: true,
    ...overrides,
  };
}

describe("an attack's score", () => {
  it("counts the attacker's queries up to the one its first finding of the right kind names", () => {
    const score = scoreAttack(
      attacker(),
      [
        finding({ eventIds: ["a-250"] }),
        finding({ eventIds: ["a-120"] }),
        finding({ kind: "FINDING_KIND_RATE_ABUSE", eventIds: ["a-3"] }),
      ],
      start,
      period,
    );
    expect(score).toMatchObject({ detected: true, queriesBeforeDetection: 121, pass: true });
    expect(score.kindsNamingAttacker).toEqual({ FINDING_KIND_EXTRACTION: 2, FINDING_KIND_RATE_ABUSE: 1 });
  });

  it("fails when the first alert comes at or after the 300th query", () => {
    const score = scoreAttack(attacker(), [finding({ eventIds: ["a-299"] })], start, period);
    expect(score).toMatchObject({ detected: true, queriesBeforeDetection: 300, pass: false });
  });

  it("is missed when only other kinds, or other clients, were named", () => {
    const score = scoreAttack(
      attacker(),
      [
        finding({ kind: "FINDING_KIND_RATE_ABUSE", eventIds: ["a-1"] }),
        finding({ clientId: "p1.someone-else" }),
      ],
      start,
      period,
    );
    expect(score).toMatchObject({ detected: false, pass: false, why: "missed (named only by rate_abuse)" });
  });

  it("places a finding without event ids by its event time when that falls in the period", () => {
    const score = scoreAttack(
      attacker(),
      [finding({ observedAtMs: start + 60_000 + 99_500 })],
      start,
      period,
    );
    expect(score.queriesBeforeDetection).toBe(100);
    const wallClock = scoreAttack(
      attacker(),
      [finding({ observedAtMs: start + 10 * period })],
      start,
      period,
    );
    expect(wallClock).toMatchObject({ detected: true, queriesBeforeDetection: null, pass: false });
  });

  it("times rate abuse from the burst start, and ignores rate findings on the traffic before it", () => {
    const burstStartMs = 60_000 + 400 * 1_000;
    const abuse = attacker({
      name: "rate-abuse",
      family: "rate-abuse",
      expectedKinds: ["FINDING_KIND_RATE_ABUSE"],
      burstStartMs,
    });
    const early = finding({ kind: "FINDING_KIND_RATE_ABUSE", eventIds: ["a-10"] });
    expect(scoreAttack(abuse, [early], start, period)).toMatchObject({
      queriesBeforeDetection: null,
      pass: false,
    });
    const inTime = finding({ kind: "FINDING_KIND_RATE_ABUSE", eventIds: ["a-425"] });
    expect(scoreAttack(abuse, [early, inTime], start, period)).toMatchObject({
      secondsFromBurst: 25,
      pass: true,
    });
    const late = finding({ kind: "FINDING_KIND_RATE_ABUSE", eventIds: ["a-431"] });
    expect(scoreAttack(abuse, [late], start, period)).toMatchObject({ secondsFromBurst: 31, pass: false });
  });
});

describe("false alarms", () => {
  const benign = [
    { clientId: "client-0001", pseudonym: "p1.one", serviceAccount: false },
    { clientId: "svc-batch-01", pseudonym: "p1.svc", serviceAccount: true },
  ];

  it("name benign clients that client-level findings named, and only those", () => {
    const alarms = falseAlarms(benign, [
      finding({ clientId: "p1.svc", kind: "FINDING_KIND_RATE_ABUSE" }),
      finding({ clientId: "p1.svc", kind: "FINDING_KIND_RATE_ABUSE" }),
      finding({ clientId: "p1.one", kind: "FINDING_KIND_OUTLIER", clientLevel: false }),
      finding({ clientId: "p1.attacker" }),
    ]);
    expect(alarms).toEqual([
      { clientId: "svc-batch-01", serviceAccount: true, kinds: { FINDING_KIND_RATE_ABUSE: 2 } },
    ]);
  });

  it("keep event-level findings on benign clients apart, as information", () => {
    const evaluation = evaluate(
      { periodStartMs: start, periodMs: period, attacks: [], benign, textEvents: [] },
      [finding({ clientId: "p1.one", kind: "FINDING_KIND_DATA_LEAKAGE", clientLevel: false })],
    );
    expect(evaluation.falseAlarms).toEqual([]);
    expect(evaluation.eventLevelOnBenign.map((alarm) => alarm.clientId)).toEqual(["client-0001"]);
  });
});

describe("text scores", () => {
  const events = [
    { eventId: "t1", category: "dan", attack: true },
    { eventId: "t2", category: "dan", attack: true },
    { eventId: "t3", category: "encoded", attack: true },
    { eventId: "b1", category: "general", attack: false },
    { eventId: "b2", category: "general", attack: false },
    { eventId: "b3", category: "html_markdown", attack: false },
  ];

  it("give recall per category and precision against every benign event flagged", () => {
    const score = scoreText(events, [
      finding({ kind: "FINDING_KIND_PROMPT_INJECTION", eventIds: ["t1"] }),
      finding({ kind: "FINDING_KIND_PROMPT_INJECTION", eventIds: ["t3", "b3"] }),
      // A leak is not an injection verdict: it neither catches t2 nor wrongs b1.
      finding({ kind: "FINDING_KIND_DATA_LEAKAGE", eventIds: ["t2", "b1"] }),
    ]);
    expect(score).toMatchObject({
      attackEvents: 3,
      flaggedAttacks: 2,
      flaggedBenign: 1,
      recall: 0.667,
      precision: 0.667,
    });
    const byName = Object.fromEntries(score.categories.map((c) => [c.category, c]));
    expect(byName.dan).toMatchObject({ events: 2, flagged: 1, recall: 0.5, precision: 0.5 });
    expect(byName.encoded).toMatchObject({ recall: 1, precision: 0.5 });
    expect(byName.html_markdown).toMatchObject({ attack: false, falsePositiveRate: 1 });
    expect(byName.general).toMatchObject({ attack: false, falsePositiveRate: 0 });
  });
});
