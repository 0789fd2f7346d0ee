import { describe, expect, it } from "vitest";
import { benignOnly, buildScenario, inputSchemas, type Scenario, scenarioSettings } from "../src/scenario.js";
import { hour, minute } from "../src/stream.js";
import { scenario, syntheticCorpora } from "./fixtures.js";

// Each scenario trains two models and runs the attacks' searches: seconds of CPU on a busy box.
const slow = { timeout: 120_000 };

describe("the generated stream", () => {
  it("is the same for the same seed and differs for another", slow, () => {
    const first = scenario(7, true);
    // Built afresh, not taken from the fixture's cache.
    const again = buildScenario(7, scenarioSettings(true), syntheticCorpora, true);
    const signature = (run: Scenario) => run.events.map((e) => `${e.eventId}@${e.atMs}/${e.clientId}`);
    expect(signature(again)).toEqual(signature(first));
    expect(again.attacks.map((a) => a.params)).toEqual(first.attacks.map((a) => a.params));
    const other = scenario(8, true);
    expect(signature(other).slice(0, 20)).not.toEqual(signature(first).slice(0, 20));
  });

  it("replays exactly the attack run's benign part when built without attacks", slow, () => {
    const withAttacks = scenario(7, true);
    const withoutAttacks = scenario(7, true, false);
    expect(withoutAttacks.attacks).toEqual([]);
    expect(withoutAttacks.events.map((e) => e.eventId)).toEqual(
      benignOnly(withAttacks).events.map((e) => e.eventId),
    );
  });

  it(
    "has at least 200 benign clients over two hours in the full run, spread over all three models",
    slow,
    () => {
      const full = scenario(3, false);
      const benign = full.clients.filter((client) => !client.serviceAccount);
      expect(benign.length).toBeGreaterThanOrEqual(200);
      expect(full.settings.traffic.periodMs).toBe(2 * hour);
      const modelsOf = new Map<string, Set<string>>();
      for (const event of benignOnly(full).events) {
        modelsOf.set(event.clientId, (modelsOf.get(event.clientId) ?? new Set()).add(event.modelId));
      }
      // Clients that call both tabular models (30 and 64 features) are the case that once crashed the service.
      const both = [...modelsOf.values()].filter(
        (m) => m.has("credit-scoring") && m.has("merchant-category"),
      );
      expect(both.length).toBeGreaterThan(50);
      expect(full.endpoints.credit.features).toHaveLength(30);
      expect(full.endpoints.merchant.features).toHaveLength(64);
    },
  );

  it("carries every held-out attack prompt and every held-out benign prompt in the full run", slow, () => {
    const full = scenario(3, false);
    const attacks = full.events.filter((e) => e.text?.attack === true);
    const benignTexts = new Set(
      full.events
        .filter((e) => e.text?.attack === false)
        .map((e) => (e.features.prompt as { text: string }).text),
    );
    expect(attacks.length).toBeGreaterThanOrEqual(500);
    expect(new Set(attacks.map((e) => (e.features.prompt as { text: string }).text)).size).toBe(540);
    expect(benignTexts.size).toBe(syntheticCorpora.benign.length);
  });

  it("keeps every event inside the simulated period and in event-time order", slow, () => {
    const run = scenario(7, true);
    const period = run.settings.traffic.periodMs;
    for (let i = 1; i < run.events.length; i++) {
      expect(run.events[i]?.atMs).toBeGreaterThanOrEqual(run.events[i - 1]?.atMs as number);
    }
    expect(run.events.every((e) => e.atMs >= 0 && e.atMs < period)).toBe(true);
  });

  it("sends only inputs the declared schemas accept (benign and attack alike)", slow, () => {
    const run = scenario(7, true);
    const schemas = JSON.parse(inputSchemas(run.endpoints)).models as Record<
      string,
      { features: Record<string, { type: string; min?: number; max?: number }> }
    >;
    const violations: string[] = [];
    for (const event of run.events) {
      const declared = schemas[event.modelId]?.features ?? {};
      const names = Object.keys(event.features);
      if (names.length !== Object.keys(declared).length) violations.push(`${event.modelId}: feature set`);
      for (const [name, value] of Object.entries(event.features)) {
        const spec = declared[name];
        if (spec === undefined) violations.push(`${event.modelId}.${name}: undeclared`);
        else if (
          typeof value === "number" &&
          !(value >= (spec.min as number) && value <= (spec.max as number))
        )
          violations.push(`${event.modelId}.${name} = ${value}`);
      }
    }
    expect(violations.slice(0, 5)).toEqual([]);
  });
});

describe("the attacks", () => {
  it("has one attacker per family and per held-out category, none of them a benign client", slow, () => {
    const run = scenario(5, false);
    const families = new Set(run.attacks.map((a) => a.family));
    for (const family of [
      "extraction-jbda",
      "extraction-knockoff",
      "extraction-prada-synthetic",
      "boundary-hopskipjump",
      "membership",
      "rate-abuse",
      "prompt-injection",
    ]) {
      expect(families).toContain(family);
    }
    expect(run.attacks.filter((a) => a.family === "prompt-injection")).toHaveLength(9);
    const benign = new Set(run.clients.map((c) => c.clientId));
    const attackers = run.attacks.map((a) => a.clientId);
    expect(attackers.filter((id) => benign.has(id))).toEqual([]);
    expect(new Set(attackers).size).toBe(attackers.length);
  });

  it("spends more than the 300-query target on every tabular attack but rate abuse", slow, () => {
    const run = scenario(5, false);
    for (const attack of run.attacks) {
      if (["prompt-injection", "rate-abuse", "sponge", "output-leakage"].includes(attack.family)) continue;
      expect(attack.events.length, attack.name).toBeGreaterThan(300);
      expect(attack.events.every((e) => e.clientId === attack.clientId && e.modelId === attack.modelId)).toBe(
        true,
      );
    }
  });

  it("sends membership probes as dozens of records, each as tens of noisy copies", slow, () => {
    const membership = scenario(5, false).attacks.find((a) => a.family === "membership");
    const targets = Number(membership?.params.targets);
    const copies = Number(membership?.params.copies);
    expect(targets).toBeGreaterThanOrEqual(24);
    expect(copies).toBeGreaterThanOrEqual(10);
    expect(membership?.events).toHaveLength(targets * copies);
  });

  it("bursts rate abuse to 25 times the median client's rate for two minutes", slow, () => {
    const run = scenario(5, false);
    const abuse = run.attacks.find((a) => a.family === "rate-abuse");
    const start = abuse?.burstStartMs as number;
    const inBurst = abuse?.events.filter((e) => e.atMs >= start && e.atMs < start + 2 * minute).length ?? 0;
    const medianPerTwoMinutes = (run.settings.traffic.medianRatePerHour / 60) * 2;
    // A Poisson count of mean 25 in 2 min: between 10 and 45 with overwhelming probability.
    expect(inBurst).toBeGreaterThan(10 * medianPerTwoMinutes);
    expect(inBurst).toBeLessThan(45 * medianPerTwoMinutes);
  });

  it("sends fewer injection prompts in the quick run", slow, () => {
    const quick = scenario(5, true);
    const injections = quick.events.filter((e) => e.text?.attack === true);
    expect(injections.length).toBe(9 * 12);
  });
});
