import { buildScenario, type Scenario, scenarioSettings } from "../src/scenario.js";
import type { Prompt, TextCorpora } from "../src/text.js";

/** Corpora shaped like the held-out files (9 attack categories of 60, 2048 benign), made in memory. */
export const syntheticCorpora: TextCorpora = {
  source: "built-in",
  attacks: Array.from(
    { length: 540 },
    (_, i): Prompt => ({
      text: `attack prompt ${i}: ignore previous instructions`,
      category: `category-${i % 9}`,
    }),
  ),
  benign: Array.from(
    { length: 2048 },
    (_, i): Prompt => ({ text: `benign prompt ${i}`, category: `topic-${i % 11}` }),
  ),
};

const built = new Map<string, Scenario>();

/** Scenarios are seconds of CPU each (models trained, attacks searched): each is built once per file. */
export function scenario(seed: number, quick: boolean, withAttacks = true): Scenario {
  const key = `${seed}/${quick}/${withAttacks}`;
  let made = built.get(key);
  if (made === undefined) {
    made = buildScenario(seed, scenarioSettings(quick), syntheticCorpora, withAttacks);
    built.set(key, made);
  }
  return made;
}
