import { type DestinationStream, type Logger, pino } from "pino";
import { redactDeep, redactText } from "./redact.js";

export type { Logger };

const bindingSecrets = ["authorization", "token", "apiKey", "api_key", "password", "secret", "webhookSecret"];

/**
 * A JSON logger for `service`, writing to stdout unless `destination` is given (tests capture it).
 * Every record passes through redaction, so a careless log call cannot leak a token, key,
 * password or webhook secret, however deep it sits or however its key is spelled.
 */
export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Child-logger bindings bypass `formatters.log`; pino's path redaction covers them.
    redact: { paths: bindingSecrets, censor: "[redacted]" },
    formatters: {
      log: (record) => redactDeep(record) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === "string" ? redactText(arg) : arg));
        return method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
