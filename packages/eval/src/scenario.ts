import { type Attack, generateAttacks } from "./attacks.js";
import { createRng } from "./random.js";
import { hour, minute, type StreamEvent } from "./stream.js";
import { creditModel, merchantModel } from "./tabular.js";
import type { TextCorpora } from "./text.js";
import {
  type BenignClient,
  benignClients,
  benignEvents,
  type Endpoints,
  type TrafficOptions,
} from "./traffic.js";

export interface ScenarioSettings {
  traffic: TrafficOptions;
  warmupMs: number;
  attackRatePerMinute: [number, number];
  /** Held-out attack prompts sent per category (unset: every one). */
  injectionPromptsPerCategory?: number;
}

/** Full run: ≥ 200 benign clients over two simulated hours; quick: a smaller smoke run. */
export function scenarioSettings(quick: boolean): ScenarioSettings {
  return quick
    ? {
        traffic: {
          clients: 60,
          serviceAccounts: 2,
          periodMs: 40 * minute,
          medianRatePerHour: 120,
          rateSigma: 1,
          serviceAccountRatePerHour: [300, 600],
        },
        warmupMs: 8 * minute,
        attackRatePerMinute: [20, 60],
        injectionPromptsPerCategory: 12,
      }
    : {
        traffic: {
          clients: 200,
          serviceAccounts: 4,
          periodMs: 2 * hour,
          medianRatePerHour: 120,
          rateSigma: 1,
          serviceAccountRatePerHour: [300, 600],
        },
        warmupMs: 20 * minute,
        attackRatePerMinute: [10, 40],
      };
}

export interface Scenario {
  seed: number;
  settings: ScenarioSettings;
  endpoints: Endpoints;
  clients: BenignClient[];
  attacks: Attack[];
  /** Every event, benign and attack, in event-time order. */
  events: StreamEvent[];
}

/**
 * The whole stream of a run from its seed. Models, benign traffic and attacks draw from separate
 * forks of the seed, so the benign-only run replays exactly the benign part of the attack run.
 */
export function buildScenario(
  seed: number,
  settings: ScenarioSettings,
  corpora: TextCorpora,
  withAttacks: boolean,
): Scenario {
  const root = createRng(seed);
  const modelRng = root.fork();
  const benignRng = root.fork();
  const attackRng = root.fork();
  const endpoints: Endpoints = {
    credit: creditModel(modelRng),
    merchant: merchantModel(modelRng),
    llm: { modelId: "support-assistant", modelVersion: "llm-2026-11" },
    benignPrompts: corpora.benign,
  };
  const clients = benignClients(benignRng, settings.traffic);
  const events = benignEvents(benignRng, endpoints, clients, settings.traffic.periodMs);
  const attacks = withAttacks
    ? generateAttacks(attackRng, endpoints, {
        periodMs: settings.traffic.periodMs,
        warmupMs: settings.warmupMs,
        attackRatePerMinute: settings.attackRatePerMinute,
        medianRatePerHour: settings.traffic.medianRatePerHour,
        injectionPrompts: corpora.attacks,
        ...(settings.injectionPromptsPerCategory === undefined
          ? {}
          : { injectionPromptsPerCategory: settings.injectionPromptsPerCategory }),
      })
    : [];
  for (const attack of attacks) events.push(...attack.events);
  events.sort((a, b) => a.atMs - b.atMs);
  return { seed, settings, endpoints, clients, attacks, events };
}

/** The declared input schema of the three models (JSON, which is YAML), for ANOMALY_INPUT_SCHEMAS_FILE. */
export function inputSchemas(endpoints: Endpoints): string {
  const tabular = (model: Endpoints["credit"]) => ({
    features: Object.fromEntries(
      model.features.map((spec) => [spec.name, { type: "number", min: spec.min, max: spec.max }]),
    ),
    allowUnknownFeatures: false,
  });
  return JSON.stringify(
    {
      models: {
        [endpoints.credit.modelId]: tabular(endpoints.credit),
        [endpoints.merchant.modelId]: tabular(endpoints.merchant),
        [endpoints.llm.modelId]: {
          features: { prompt: { type: "text", maxLength: 8_000 } },
          allowUnknownFeatures: false,
        },
      },
    },
    null,
    2,
  );
}

/** The same run without its attackers: exactly the benign part of the stream, for the page count. */
export function benignOnly(scenario: Scenario): Scenario {
  const attackers = new Set(scenario.attacks.map((attack) => attack.clientId));
  return {
    ...scenario,
    attacks: [],
    events: scenario.events.filter((event) => !attackers.has(event.clientId)),
  };
}
