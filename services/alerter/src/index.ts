export { alertServiceRoles } from "./adapters/alert-grpc.js";
export { startAlerter } from "./alerter.js";
export { type AlerterConfig, alerterConfigSchema } from "./config.js";
