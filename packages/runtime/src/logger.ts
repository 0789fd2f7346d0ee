import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

/**
 * Paths that may carry credentials. Redaction happens in the logger, so a careless log call
 * cannot leak a token, key or webhook secret.
 */
const redactedPaths = [
  "authorization",
  "token",
  "apiKey",
  "password",
  "secret",
  "*.authorization",
  "*.token",
  "*.apiKey",
  "*.password",
  "*.secret",
  "*.headers.authorization",
  "headers.authorization",
];

/** A JSON logger for `service`, writing to stdout unless `destination` is given (tests capture it). */
export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  const options = {
    name: service,
    level,
    base: { service },
    redact: { paths: redactedPaths, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
