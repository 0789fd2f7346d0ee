import { type Logger, pino } from "pino";

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

export function createLogger(service: string, level: string): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: { paths: redactedPaths, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
