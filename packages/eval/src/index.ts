// @argus/eval: the seeded attack stream and its scoring; `pnpm eval:attacks` (src/main.ts) runs it.
export { type Attack, expectedKinds, type Family, generateAttacks } from "./attacks.js";
export { loadHeldoutCorpora } from "./corpora.js";
export { type EvalOptions, parseOptions } from "./options.js";
export { createRng, type Rng } from "./random.js";
export { type EvalSummary, formatSummary, summarize } from "./report.js";
export { benignOnly, buildScenario, inputSchemas, type Scenario, scenarioSettings } from "./scenario.js";
export { type Evaluation, evaluate, type ObservedFinding, type RunTruth, targets } from "./scoring.js";
export type { StreamEvent } from "./stream.js";
export { runTruth } from "./truth.js";
