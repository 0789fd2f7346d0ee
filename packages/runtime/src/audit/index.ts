export * from "./audit-log.js";
export * from "./chain.js";
