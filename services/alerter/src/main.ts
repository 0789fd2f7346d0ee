import { loadConfig, runMain } from "@argus/runtime";
import { startAlerter } from "./alerter.js";
import { alerterConfigSchema } from "./config.js";

await runMain("alerter", () => startAlerter(loadConfig(alerterConfigSchema)));
