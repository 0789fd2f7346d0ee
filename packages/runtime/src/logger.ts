import { type DestinationStream, type Logger, pino } from "pino";
import { redactDeep, redactText } from "./redact.js";

export type { Logger };

const bindingSecrets = ["authorization", "token", "apiKey", "api_key", "password", "secret", "webhookSecret"];

// Gaps in ./redact.js found by test/logger-redaction.test.ts; applied before it (candidates to move there).
// A key is compared lowercased and without separators, by its ending: KAFKA_SASL_PASSWORD, signing_secrets,
// evidenceKey, routing_key (PagerDuty), jwt, keys (a key ring: id → secret, as the SDK's pseudonymizer takes).
// Not a bare `key`: Kafka record keys are pseudonyms, not secrets.
const secretKeyEnding =
  /(passw(?:or)?d|pwd|secrets?|token|credentials?|jwt|bearer|keys|keyring|(?:api|private|encryption|aes|hmac|signing|pseudonym\w*|routing|evidence|master|integration|session|access|secret|wrapping|data)key)$/;
const moreSecretPatterns: [RegExp, string][] = [
  // A JWT without its `Bearer ` prefix (in an error message, a query string): the header is JSON, so `eyJ`.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, "[redacted-jwt]"],
  // `Authorization: Basic <base64 of user:password>` in a header dump.
  [/(authorization["']?\s*[:=]\s*["']?basic\s+)[A-Za-z0-9+/=]+/gi, "$1[redacted]"],
  // password=…, token=…, api_key=… in query strings, forms and messages; "password":"…" in JSON text.
  [
    /\b((?:access_|refresh_|id_)?token|api[-_]?key|apikey|passw(?:or)?d|pwd|secret|client_secret|routing_key)=[^&\s"',;]+/gi,
    "$1=[redacted]",
  ],
  [/("(?:passw(?:or)?d|secret|token|api[-_]?key|routing_key)"\s*:\s*")[^"]*"/gi, '$1[redacted]"'],
  // Any URL's user:password@ (./redact.js covers redis:// only).
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]+@/gi, "$1[redacted]@"],
  // A Slack incoming-webhook URL is itself the credential.
  [/(hooks\.slack\.com\/services\/)[A-Za-z0-9/_-]+/g, "$1[redacted]"],
];
const maxDepth = 8;

function scrubText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of moreSecretPatterns) out = out.replace(pattern, replacement);
  return redactText(out);
}

/** Applies the rules above; redactDeep then applies those of ./redact.js. */
function scrub(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return scrubText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= maxDepth) return "[truncated]";
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1, seen));
  if (value instanceof Error) {
    return { type: value.name, message: scrubText(value.message), stack: scrubText(value.stack ?? "") };
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const secret = secretKeyEnding.test(key.toLowerCase().replace(/[^a-z0-9]/g, ""));
    out[key] = secret ? "[redacted]" : scrub(child, depth + 1, seen);
  }
  return out;
}

const redactRecord = (record: object) => redactDeep(scrub(record)) as Record<string, unknown>;

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
    // Child-logger bindings bypass `formatters.log`; pino's path redaction and `child` below cover them.
    redact: { paths: bindingSecrets, censor: "[redacted]" },
    formatters: {
      log: redactRecord,
    },
    hooks: {
      logMethod(args, method) {
        // Index 0 is the merging object (left to `formatters.log`, so pino still sees an Error) or the
        // message; later arguments are printf values (`%j`, `%o`, `%s`) that no formatter sees.
        const scrubbed = args.map((arg, index) => {
          if (typeof arg === "string") return scrubText(arg);
          if (index === 0) return arg;
          return arg instanceof Error ? scrubText(`${arg.name}: ${arg.message}`) : scrub(arg);
        });
        return method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // pino drops `formatters.bindings` for children, so bindings are scrubbed on the way in; children
  // inherit this method from the root (a child is `Object.create(parent)`), grandchildren too.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactRecord(bindings), childOptions);
  } as Logger["child"];
  return logger;
}
