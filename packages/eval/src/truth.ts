import type { Scenario } from "./scenario.js";
import type { RunTruth } from "./scoring.js";

/**
 * What the scorer needs to know about a run: who attacked with which events, who is benign, and
 * the truth of every scored text event, with client ids as the services see them (pseudonyms).
 */
export function runTruth(
  scenario: Scenario,
  pseudonymOf: (clientId: string) => string,
  periodStartMs: number,
): RunTruth {
  const attackers = new Set(scenario.attacks.map((attack) => attack.clientId));
  return {
    periodStartMs,
    periodMs: scenario.settings.traffic.periodMs,
    attacks: scenario.attacks.map((attack) => ({
      name: attack.name,
      family: attack.family,
      modelId: attack.modelId,
      expectedKinds: attack.expectedKinds,
      pseudonym: pseudonymOf(attack.clientId),
      events: [...attack.events]
        .sort((a, b) => a.atMs - b.atMs)
        .map((event) => ({ eventId: event.eventId, atMs: event.atMs })),
      ...(attack.burstStartMs === undefined ? {} : { burstStartMs: attack.burstStartMs }),
      params: attack.params,
    })),
    benign: scenario.clients
      .filter((client) => !attackers.has(client.clientId))
      .map((client) => ({
        clientId: client.clientId,
        pseudonym: pseudonymOf(client.clientId),
        serviceAccount: client.serviceAccount,
      })),
    textEvents: scenario.events.flatMap((event) =>
      event.text === undefined
        ? []
        : [{ eventId: event.eventId, category: event.text.category, attack: event.text.attack }],
    ),
  };
}
