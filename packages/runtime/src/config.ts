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
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }),
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
  ARGUS_TRACES_EXPORTER: z.enum(["none", "console"]).default("none"),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(25_000),
};

export const baseConfigSchema = z.object(baseConfigShape);
export type BaseConfig = z.infer<typeof baseConfigSchema>;

/** Parses `env` against `schema`; on failure throws a ConfigError listing each variable and why. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  // `FOO=` means "not set" (as in most shells and manifests), not "the number 0" or "the empty prefix".
  const given = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
  const result = schema.safeParse(given);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const variable = issue.path.join(".") || "(environment)";
    // Zod leaves `issue.input` out of its issues, so whether the variable is set is read from env.
    const name = issue.path[0];
    const unset = issue.path.length === 1 && typeof name === "string" && given[name] === undefined;
    const received = unset ? " (not set)" : "";
    return `  ${variable}: ${issue.message}${received}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
}
