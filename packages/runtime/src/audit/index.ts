export * from "./audit-grpc.js";
export * from "./audit-log.js";
export * from "./chain.js";
