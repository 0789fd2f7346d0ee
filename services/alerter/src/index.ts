export { startAlerter } from "./alerter.js";
export { type AlerterConfig, alerterConfigSchema } from "./config.js";
