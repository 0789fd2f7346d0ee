import { loadConfig, runMain } from "@argus/runtime";
import { driftConfigSchema } from "./config.js";
import { startDriftDetector } from "./drift-detector.js";

await runMain("drift-detector", () => startDriftDetector(loadConfig(driftConfigSchema)));
