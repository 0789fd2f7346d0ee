import { readFileSync } from "node:fs";
import { z } from "zod";

/** Thrown at start-up when the environment is wrong; the message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const commaList = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part.length > 0),
  )
  .pipe(z.array(z.string()).min(1, "must name at least one host:port"));

const port = z.coerce.number().int().min(0).max(65_535);

/** Environment every Argus service reads. Services extend it with their own variables. */
export const baseConfigShape = {
  KAFKA_BROKERS: commaList,
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(10_000).default(6),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(10).default(1),
  /** How long the group waits for a silent consumer before giving its partitions to others. */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(30_000),
  /** Bound of one dead-letter record (unset: 900 KiB); keep it under the dead-letter topic's max.message.bytes. */
  KAFKA_DEAD_LETTER_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(16_384)
    .max(100 * 1024 * 1024)
    .optional(),
  /** SASL towards Kafka (unset: none); the user, and its password given directly or in a file. */
  KAFKA_SASL_MECHANISM: z.enum(["scram-sha-512", "scram-sha-256", "plain"]).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD_FILE: z.string().min(1).optional(),
  /** TLS towards Kafka; the CA bundle the brokers' certificates must chain to (default: system CAs). */
  KAFKA_TLS: z.stringbool().default(false),
  KAFKA_TLS_CA_FILE: z.string().min(1).optional(),
  /** PEM client certificate chain and key, for brokers that ask for one (mTLS): both or neither. */
  KAFKA_TLS_CERT_FILE: z.string().min(1).optional(),
  KAFKA_TLS_KEY_FILE: z.string().min(1).optional(),
  /** redis://[user:password@]host:port[/db]; rediss:// for TLS. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }),
  /** The Redis ACL user and a file holding its password, instead of putting them in REDIS_URL. */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD_FILE: z.string().min(1).optional(),
  /** With a rediss:// URL: the CA bundle (default: system CAs) and a client certificate and key. */
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  REDIS_TLS_CERT_FILE: z.string().min(1).optional(),
  REDIS_TLS_KEY_FILE: z.string().min(1).optional(),
  ARGUS_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/, "may contain only letters, digits, '.', '_' and '-'")
    .default(""),
  ARGUS_REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/, "may contain only letters, digits, '.', '_' and '-'")
    .default("argus"),
  GRPC_HOST: z.string().min(1).default("0.0.0.0"),
  GRPC_PORT: port.default(50051),
  GRPC_REFLECTION: z.stringbool().default(true),
  HTTP_HOST: z.string().min(1).default("0.0.0.0"),
  HTTP_PORT: port.default(9464),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ARGUS_API_KEYS: z.string().default("[]"),
  /** Shared secret of HS256 JWTs (a single team); at least 32 bytes, as RFC 7518 asks of HS256 keys. */
  ARGUS_JWT_HS256_SECRET: z
    .string()
    .refine((secret) => Buffer.byteLength(secret, "utf8") >= 32, "must be at least 32 bytes")
    .optional(),
  /** JSON Web Key Set (public RSA/EC keys) that RS256 and ES256 JWTs are verified against. */
  ARGUS_JWT_JWKS_FILE: z.string().min(1).optional(),
  /** The `iss` every JWT must carry; required when JWTs are accepted. */
  ARGUS_JWT_ISSUER: z.string().min(1).optional(),
  /** The `aud` every JWT must carry (or hold, when it is a list); required when JWTs are accepted. */
  ARGUS_JWT_AUDIENCE: z.string().min(1).optional(),
  /** Clock skew tolerated on `exp` and `nbf`, in seconds. */
  ARGUS_JWT_CLOCK_SKEW_S: z.coerce.number().int().min(0).max(300).default(30),
  /** PEM certificate chain and private key of the gRPC server: both or neither (plaintext). */
  GRPC_TLS_CERT_FILE: z.string().min(1).optional(),
  GRPC_TLS_KEY_FILE: z.string().min(1).optional(),
  /** PEM CA bundle that client certificates must chain to (mTLS). */
  GRPC_TLS_CLIENT_CA_FILE: z.string().min(1).optional(),
  /** Whether the server asks for a client certificate and whether it must be there. */
  GRPC_TLS_CLIENT_CERT: z.enum(["none", "optional", "require"]).default("none"),
  /**
   * JSON list of {subject, principal, tenant, roles}: a verified client certificate whose CN, DNS
   * SAN or URI SAN equals `subject` authenticates as that principal, without a bearer token.
   */
  ARGUS_MTLS_PRINCIPALS: z.string().default("[]"),
  /** Health answers without credentials (probes); false: only to a principal with any role. */
  GRPC_ANONYMOUS_HEALTH: z.stringbool().default(true),
  /**
   * Serve gRPC without TLS. Only for development and tests on loopback: bearer tokens then travel
   * unencrypted. Without it, a service with no GRPC_TLS_CERT_FILE refuses to start; with TLS
   * configured it has no effect.
   */
  GRPC_PLAINTEXT: z.stringbool().default(false),
  ARGUS_TRACES_EXPORTER: z.enum(["none", "console"]).default("none"),
  /** Token bucket per principal and gRPC method, shared by replicas in Redis (0 turns it off). */
  GRPC_RATE_LIMIT_BURST: z.coerce.number().int().min(0).max(1_000_000).default(2_000),
  GRPC_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0.001).max(1_000_000).default(1_000),
  /** Per-method overrides: JSON {"/argus.v1.AnomalyService/ScreenInput": {"burst": 5000, "perSecond": 2000}}. */
  GRPC_RATE_LIMITS: z
    .string()
    .default("{}")
    .transform((text, context) => {
      try {
        return z
          .record(
            z
              .string()
              .regex(/^\/[\w.]+\/\w+$/, "keys must be gRPC paths like /argus.v1.AlertService/ListAlerts"),
            z.object({ burst: z.number().int().min(1), perSecond: z.number().positive() }).strict(),
          )
          .parse(JSON.parse(text));
      } catch (error) {
        context.addIssue({
          code: "custom",
          message: `not a valid rate limit table: ${(error as Error).message}`,
        });
        return z.NEVER;
      }
    }),
  /**
   * The tenant of the people who run this deployment: only its principals may call methods that
   * act on the whole deployment (ReloadConfig, TestReceiver, AuditService.Verify). Unset: nobody.
   */
  ARGUS_PLATFORM_TENANT: z.string().min(1).max(128).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(25_000),
};

type BaseFields = z.infer<z.ZodObject<typeof baseConfigShape>>;

export interface ConfigIssue {
  variable: string;
  message: string;
}

/**
 * Rules between variables of the base configuration (a field's own rules are in its schema). A
 * service's schema spreads `baseConfigShape`, which cannot carry them, so `startService` checks
 * them again with `assertBaseConfig`.
 */
export function baseConfigIssues(config: BaseFields): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const jwtSource = config.ARGUS_JWT_HS256_SECRET !== undefined || config.ARGUS_JWT_JWKS_FILE !== undefined;
  for (const variable of ["ARGUS_JWT_ISSUER", "ARGUS_JWT_AUDIENCE"] as const) {
    if (jwtSource && config[variable] === undefined)
      issues.push({
        variable,
        message: "is required when ARGUS_JWT_HS256_SECRET or ARGUS_JWT_JWKS_FILE is set",
      });
    if (!jwtSource && config[variable] !== undefined)
      issues.push({
        variable,
        message: "has no effect without ARGUS_JWT_HS256_SECRET or ARGUS_JWT_JWKS_FILE",
      });
  }
  const tls = config.GRPC_TLS_CERT_FILE !== undefined || config.GRPC_TLS_KEY_FILE !== undefined;
  if (config.GRPC_TLS_CERT_FILE === undefined && tls)
    issues.push({ variable: "GRPC_TLS_CERT_FILE", message: "is required when GRPC_TLS_KEY_FILE is set" });
  if (config.GRPC_TLS_KEY_FILE === undefined && tls)
    issues.push({ variable: "GRPC_TLS_KEY_FILE", message: "is required when GRPC_TLS_CERT_FILE is set" });
  if (!tls && !config.GRPC_PLAINTEXT)
    issues.push({
      variable: "GRPC_TLS_CERT_FILE",
      message:
        "and GRPC_TLS_KEY_FILE are required: gRPC carries bearer tokens (GRPC_PLAINTEXT=true serves without TLS, for development only)",
    });
  const clientCerts = config.GRPC_TLS_CLIENT_CERT !== "none";
  if (!tls && clientCerts)
    issues.push({
      variable: "GRPC_TLS_CLIENT_CERT",
      message: "needs GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE",
    });
  if (clientCerts && config.GRPC_TLS_CLIENT_CA_FILE === undefined)
    issues.push({
      variable: "GRPC_TLS_CLIENT_CA_FILE",
      message: `is required when GRPC_TLS_CLIENT_CERT is ${config.GRPC_TLS_CLIENT_CERT}`,
    });
  if (!clientCerts && config.GRPC_TLS_CLIENT_CA_FILE !== undefined)
    issues.push({
      variable: "GRPC_TLS_CLIENT_CERT",
      message: "must be optional or require when GRPC_TLS_CLIENT_CA_FILE is set",
    });
  if (!clientCerts && nonEmptyJsonList(config.ARGUS_MTLS_PRINCIPALS))
    issues.push({
      variable: "ARGUS_MTLS_PRINCIPALS",
      message: "needs GRPC_TLS_CLIENT_CERT optional or require (no client certificate is asked for)",
    });
  issues.push(...kafkaTransportIssues(config), ...redisTransportIssues(config));
  return issues;
}

function kafkaTransportIssues(config: BaseFields): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const sasl = config.KAFKA_SASL_MECHANISM;
  const passwords = [config.KAFKA_SASL_PASSWORD, config.KAFKA_SASL_PASSWORD_FILE].filter(
    (value) => value !== undefined,
  ).length;
  if (sasl !== undefined) {
    if (config.KAFKA_SASL_USERNAME === undefined)
      issues.push({
        variable: "KAFKA_SASL_USERNAME",
        message: `is required when KAFKA_SASL_MECHANISM is ${sasl}`,
      });
    if (passwords === 0)
      issues.push({
        variable: "KAFKA_SASL_PASSWORD",
        message: `or KAFKA_SASL_PASSWORD_FILE is required when KAFKA_SASL_MECHANISM is ${sasl}`,
      });
  } else {
    for (const variable of [
      "KAFKA_SASL_USERNAME",
      "KAFKA_SASL_PASSWORD",
      "KAFKA_SASL_PASSWORD_FILE",
    ] as const)
      if (config[variable] !== undefined)
        issues.push({ variable, message: "has no effect without KAFKA_SASL_MECHANISM" });
  }
  if (passwords === 2)
    issues.push({
      variable: "KAFKA_SASL_PASSWORD_FILE",
      message: "and KAFKA_SASL_PASSWORD: set one, not both",
    });
  for (const variable of ["KAFKA_TLS_CA_FILE", "KAFKA_TLS_CERT_FILE", "KAFKA_TLS_KEY_FILE"] as const)
    if (!config.KAFKA_TLS && config[variable] !== undefined)
      issues.push({ variable, message: "has no effect without KAFKA_TLS=true" });
  issues.push(...pairIssues(config, "KAFKA_TLS_CERT_FILE", "KAFKA_TLS_KEY_FILE"));
  return issues;
}

function redisTransportIssues(config: BaseFields): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  // REDIS_URL's own rule reports a URL that does not parse.
  let url: URL;
  try {
    url = new URL(config.REDIS_URL);
  } catch {
    return issues;
  }
  if (config.REDIS_USERNAME !== undefined && url.username !== "")
    issues.push({ variable: "REDIS_USERNAME", message: "and a user in REDIS_URL: set one, not both" });
  if (config.REDIS_PASSWORD_FILE !== undefined && url.password !== "")
    issues.push({
      variable: "REDIS_PASSWORD_FILE",
      message: "and a password in REDIS_URL: set one, not both",
    });
  if (config.REDIS_USERNAME !== undefined && config.REDIS_PASSWORD_FILE === undefined && url.password === "")
    issues.push({ variable: "REDIS_PASSWORD_FILE", message: "is required when REDIS_USERNAME is set" });
  for (const variable of ["REDIS_TLS_CA_FILE", "REDIS_TLS_CERT_FILE", "REDIS_TLS_KEY_FILE"] as const)
    if (url.protocol !== "rediss:" && config[variable] !== undefined)
      issues.push({ variable, message: "has no effect without a rediss:// REDIS_URL" });
  issues.push(...pairIssues(config, "REDIS_TLS_CERT_FILE", "REDIS_TLS_KEY_FILE"));
  return issues;
}

/** A certificate and its key: both or neither. */
function pairIssues<K extends keyof BaseFields>(config: BaseFields, cert: K, key: K): ConfigIssue[] {
  if (config[cert] === undefined && config[key] !== undefined)
    return [{ variable: String(cert), message: `is required when ${String(key)} is set` }];
  if (config[cert] !== undefined && config[key] === undefined)
    return [{ variable: String(key), message: `is required when ${String(cert)} is set` }];
  return [];
}

/** Whether `text` is a JSON list with entries (not JSON at all is the list's own parser's to report). */
function nonEmptyJsonList(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return !Array.isArray(parsed) || parsed.length > 0;
  } catch {
    return true;
  }
}

function configErrorOf(issues: readonly string[]): ConfigError {
  return new ConfigError(`invalid configuration:\n${issues.join("\n")}`);
}

/** Throws a ConfigError listing every rule between base variables that `config` breaks. */
export function assertBaseConfig(config: BaseFields): void {
  const issues = baseConfigIssues(config);
  if (issues.length > 0)
    throw configErrorOf(issues.map(({ variable, message }) => `  ${variable}: ${message}`));
}

export const baseConfigSchema = z.object(baseConfigShape).superRefine((config, context) => {
  for (const { variable, message } of baseConfigIssues(config))
    context.addIssue({ code: "custom", path: [variable], message });
});
export type BaseConfig = z.infer<typeof baseConfigSchema>;

/** Reads a file named by a variable (tests pass their own). */
export type ReadConfigFile = (path: string) => string;

const fileSuffix = "_FILE";

/**
 * The variables of `schema` that may also come from a file: every one, except those that are file
 * paths themselves and those with a `_FILE` variable of their own meaning (KAFKA_SASL_PASSWORD).
 */
function fileVariablesOf(schema: z.ZodType): string[] {
  const names = variablesOf(schema);
  return names.filter((name) => !name.endsWith(fileSuffix) && !names.includes(`${name}${fileSuffix}`));
}

function variablesOf(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodPipe) return variablesOf(schema.in as z.ZodType);
  return [];
}

interface FromFiles {
  /** `env` with each X whose X_FILE is set replaced by the file's trimmed content. */
  env: Record<string, string>;
  /** X → X_FILE, for the values that came from a file. */
  sources: Map<string, string>;
  /** Variables whose file could not be used; their own "not set" is not reported on top. */
  failed: Set<string>;
  issues: ConfigIssue[];
}

/**
 * Kubernetes and Docker hand secrets over as files (a value in a file stays out of the pod spec,
 * `/proc/<pid>/environ` and crash reports), so X_FILE names a file whose trimmed content is X, for
 * every variable X of the schema. Setting both is an error: which one wins would be a guess.
 */
function readFileVariables(
  variables: readonly string[],
  given: Record<string, string>,
  read: ReadConfigFile,
): FromFiles {
  const env = { ...given };
  const sources = new Map<string, string>();
  const failed = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const variable of variables) {
    const fileVariable = `${variable}${fileSuffix}`;
    const path = given[fileVariable];
    if (path === undefined) continue;
    delete env[fileVariable];
    if (given[variable] !== undefined) {
      issues.push({ variable: fileVariable, message: `and ${variable}: set one, not both` });
      continue;
    }
    let content: string;
    try {
      content = read(path).trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      issues.push({ variable: fileVariable, message: `cannot read ${path} (${code})` });
      failed.add(variable);
      continue;
    }
    if (content === "") {
      issues.push({ variable: fileVariable, message: `${path} is empty` });
      failed.add(variable);
      continue;
    }
    env[variable] = content;
    sources.set(variable, fileVariable);
  }
  return { env, sources, failed, issues };
}

/**
 * Parses `env` against `schema`; on failure throws a ConfigError listing each variable and why. Any
 * variable X may instead be given as X_FILE, the path of a file holding it (see readFileVariables).
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
  readFile: ReadConfigFile = (path) => readFileSync(path, "utf8"),
): z.infer<S> {
  // `FOO=` means "not set" (as in most shells and manifests), not "the number 0" or "the empty prefix".
  const nonEmpty = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => {
      const value = entry[1];
      return value !== undefined && value.trim() !== "";
    }),
  );
  const fromFiles = readFileVariables(fileVariablesOf(schema), nonEmpty, readFile);
  const given = fromFiles.env;
  const result = schema.safeParse(given);
  if (result.success && fromFiles.issues.length === 0) return result.data;
  const fileLines = fromFiles.issues.map(({ variable, message }) => `  ${variable}: ${message}`);
  const schemaIssues = result.success ? [] : result.error.issues;
  const lines = schemaIssues.flatMap((issue) => {
    const variable = issue.path.join(".") || "(environment)";
    // Zod leaves `issue.input` out of its issues, so whether the variable is set is read from env.
    const name = issue.path[0];
    const topLevel = issue.path.length === 1 && typeof name === "string";
    if (topLevel && fromFiles.failed.has(name)) return [];
    const unset = topLevel && given[name] === undefined;
    const fileVariable = topLevel ? fromFiles.sources.get(name) : undefined;
    const note = unset ? " (not set)" : fileVariable !== undefined ? ` (read from ${fileVariable})` : "";
    return [`  ${variable}: ${issue.message}${note}`];
  });
  throw configErrorOf([...fileLines, ...lines]);
}
