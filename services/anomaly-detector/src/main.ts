import { loadConfig, runMain } from "@argus/runtime";
import { startAnomalyDetector } from "./anomaly-detector.js";
import { anomalyConfigSchema } from "./config.js";

await runMain("anomaly-detector", async () => startAnomalyDetector(loadConfig(anomalyConfigSchema)));
