import { parseDuration } from "@argus/runtime/duration";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { FindingKind, kindName } from "../alert.js";
import { type Matcher, parseMatcher } from "./matchers.js";
import { buildRouteTree, type Route, type RouteSpec } from "./route.js";
import {
  parseDayOfMonthRange,
  parseLocation,
  parseMonthRange,
  parseTimeRange,
  parseWeekdayRange,
  parseYearRange,
  type TimeInterval,
} from "./time-intervals.js";

/**
 * The alerter's routing configuration: an Alertmanager-shaped YAML subset (route tree, receivers,
 * inhibit rules, time intervals) with Alertmanager's defaults and validation, plus Argus's
 * per-kind resolve timeouts. Secrets may come from files, read once here through `readFile`.
 */
export interface AlerterRoutingConfig {
  /** A firing alert with no finding for this long resolves. */
  resolveTimeoutMs: number;
  /** Overrides of `resolveTimeoutMs` by finding kind name ("drift", ...); see resolveTimeoutFor. */
  resolveTimeoutsByKind: Record<string, number>;
  externalUrl: string;
  route: Route;
  receivers: Map<string, ReceiverConfig>;
  inhibitRules: InhibitRule[];
  timeIntervals: Map<string, TimeInterval[]>;
}

export interface ReceiverConfig {
  name: string;
  /** Empty is allowed: a receiver that drops what reaches it, as in Alertmanager. */
  integrations: Integration[];
}

export type Integration = WebhookIntegration | PagerDutyIntegration | SlackIntegration;

export interface WebhookIntegration {
  type: "webhook";
  /** "alertmanager": Alertmanager's webhook payload (version 4); "argus": Argus's own JSON. */
  payload: "alertmanager" | "argus";
  url: string;
  /** Standard Webhooks secrets; every one signs, so receivers can rotate keys. */
  signingSecrets: string[];
  sendResolved: boolean;
  /** 0 = unlimited. */
  maxAlerts: number;
}

export interface PagerDutyIntegration {
  type: "pagerduty";
  url: string;
  routingKey: string;
  signingSecrets: string[];
  sendResolved: boolean;
}

export interface SlackIntegration {
  type: "slack";
  url: string;
  channel?: string;
  sendResolved: boolean;
}

export interface InhibitRule {
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  equal: string[];
}

/** A configuration mistake; `path` names the offending field, e.g. "route.routes[1].group_wait". */
export class RoutingConfigError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(path ? `${path}: ${problem}` : problem);
    this.name = "RoutingConfigError";
  }
}

/** The timeout after which a firing alert of this finding kind resolves without a new finding. */
export function resolveTimeoutFor(config: AlerterRoutingConfig, kindName: string): number {
  return Object.hasOwn(config.resolveTimeoutsByKind, kindName)
    ? (config.resolveTimeoutsByKind[kindName] as number)
    : config.resolveTimeoutMs;
}

const defaultResolveTimeoutMs = 5 * 60_000;
const defaultPagerDutyUrl = "https://events.pagerduty.com/v2/enqueue";
const findingKindNames = Object.values(FindingKind)
  .filter((kind): kind is FindingKind => typeof kind === "number" && kind > 0)
  .map(kindName);

/** Parses and validates the YAML; throws RoutingConfigError for the first mistake found. */
export function parseRoutingConfig(
  yamlText: string,
  readFile: (path: string) => string,
): AlerterRoutingConfig {
  const parsed = configSchema.safeParse(withoutNullValues(parseYaml(yamlText)), { reportInput: true });
  if (!parsed.success) throw errorFromIssues(parsed.error.issues);
  const spec = parsed.data;
  const resolveTimeoutsByKind = resolveTimeoutsOf(spec.resolve_timeouts);
  checkRoot(spec.route);
  const receivers = receiversOf(spec.receivers, fileReader(readFile));
  const timeIntervals = timeIntervalsOf(spec);
  checkReferences(spec.route, "route", receivers, timeIntervals);
  return {
    resolveTimeoutMs: spec.global.resolve_timeout ?? defaultResolveTimeoutMs,
    resolveTimeoutsByKind,
    externalUrl: spec.global.external_url ?? "",
    route: buildRouteTree({ ...spec.route, receiver: spec.route.receiver as string }),
    receivers,
    inhibitRules: spec.inhibit_rules,
    timeIntervals,
  };
}

// ---- YAML ----

function parseYaml(yamlText: string): unknown {
  const lineCounter = new LineCounter();
  const document = parseDocument(yamlText, { lineCounter, prettyErrors: false });
  const [error] = document.errors;
  if (error) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    throw new RoutingConfigError("", `invalid YAML at line ${line}, column ${col}: ${error.message}`);
  }
  const value: unknown = document.toJS();
  if (value === null || value === undefined) throw new RoutingConfigError("", "the configuration is empty");
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new RoutingConfigError("", "the configuration must be a YAML mapping with route and receivers");
  }
  return value;
}

/** `key:` with nothing after it means "not set", as it does in Alertmanager. */
function withoutNullValues(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNullValues);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, entry]) => entry !== null)
      .map(([key, entry]) => [key, withoutNullValues(entry)]),
  );
}

// ---- Shape: zod schemas whose issues become RoutingConfigErrors ----

const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A strict object whose unknown-key error lists the keys it knows. */
function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `unknown key (known keys: ${known})` : undefined),
  });
}

/** A text value (YAML numbers read as their text: `years: [2026]`) turned into `T` by `parse`. */
function parsedWith<T>(parse: (text: string) => T) {
  return z
    .preprocess((value) => (typeof value === "number" ? String(value) : value), z.string())
    .transform((text, context) => {
      try {
        return parse(text);
      } catch (error) {
        context.issues.push({ code: "custom", message: messageOf(error), input: text });
        return z.NEVER;
      }
    });
}

const duration = parsedWith(parseDuration);
const positiveDuration = duration.refine((ms) => ms > 0, "must be longer than 0s");
const matcherList = z.array(parsedWith(parseMatcher)).default([]);
const labelName = z.string().regex(labelNamePattern, "must be a label name like model_id");
const nameList = z.array(z.string()).default([]);
const filePath = z.string().min(1, "must be a file path");
const httpUrl = parsedWith(checkHttpUrl);
const signingSecretList = z.array(parsedWith(checkSigningSecret)).optional();

const groupBy = z.array(z.string()).transform((names, context): string[] | "all" => {
  if (names.includes("...")) {
    if (names.length === 1) return "all";
    context.issues.push({
      code: "custom",
      message: `"..." (group by every label) must be the only entry`,
      input: names,
    });
    return z.NEVER;
  }
  names.forEach((name, index) => {
    const problem = !labelNamePattern.test(name)
      ? `${JSON.stringify(name)} is not a label name`
      : names.indexOf(name) !== index
        ? `${JSON.stringify(name)} is listed twice`
        : undefined;
    if (problem) context.issues.push({ code: "custom", message: problem, input: name, path: [index] });
  });
  return names;
});

// Annotated because the schema refers to itself; its input is whatever the YAML held.
const routeSchema: z.ZodType<RouteSpec, unknown> = strictObject({
  receiver: z.string().min(1, "must name a receiver").optional(),
  group_by: groupBy.optional(),
  group_wait: duration.optional(),
  group_interval: positiveDuration.optional(),
  repeat_interval: positiveDuration.optional(),
  matchers: matcherList,
  continue: z.boolean().default(false),
  mute_time_intervals: nameList,
  active_time_intervals: nameList,
  get routes() {
    return z.array(routeSchema).default([]);
  },
}).transform((route) => ({
  ...(route.receiver !== undefined && { receiver: route.receiver }),
  ...(route.group_by !== undefined && { groupBy: route.group_by }),
  ...(route.group_wait !== undefined && { groupWaitMs: route.group_wait }),
  ...(route.group_interval !== undefined && { groupIntervalMs: route.group_interval }),
  ...(route.repeat_interval !== undefined && { repeatIntervalMs: route.repeat_interval }),
  matchers: route.matchers,
  continue: route.continue,
  muteTimeIntervals: route.mute_time_intervals,
  activeTimeIntervals: route.active_time_intervals,
  routes: route.routes,
}));

const webhookConfig = strictObject({
  url: httpUrl.optional(),
  url_file: filePath.optional(),
  payload: z.enum(["alertmanager", "argus"]).default("alertmanager"),
  send_resolved: z.boolean().default(true),
  max_alerts: z.number().int("must be a whole number").min(0, "must be 0 (unlimited) or more").default(0),
  signing_secrets: signingSecretList,
  signing_secrets_file: filePath.optional(),
});

const pagerDutyConfig = strictObject({
  routing_key: parsedWith(checkNotBlank).optional(),
  routing_key_file: filePath.optional(),
  url: httpUrl.default(defaultPagerDutyUrl),
  send_resolved: z.boolean().default(true),
  signing_secrets: signingSecretList,
  signing_secrets_file: filePath.optional(),
});

const slackConfig = strictObject({
  api_url: httpUrl.optional(),
  api_url_file: filePath.optional(),
  channel: z.string().min(1, "must name a channel, e.g. '#alerts'").optional(),
  send_resolved: z.boolean().default(false),
});

const receiverSchema = strictObject({
  name: z.string().min(1, "must not be empty"),
  webhook_configs: z.array(webhookConfig).default([]),
  pagerduty_configs: z.array(pagerDutyConfig).default([]),
  slack_configs: z.array(slackConfig).default([]),
});

const timeIntervalSchema = strictObject({
  times: z
    .array(
      strictObject({ start_time: z.string(), end_time: z.string() }).transform((range, context) => {
        try {
          return parseTimeRange(range.start_time, range.end_time);
        } catch (error) {
          context.issues.push({ code: "custom", message: messageOf(error), input: range });
          return z.NEVER;
        }
      }),
    )
    .default([]),
  weekdays: z.array(parsedWith(parseWeekdayRange)).default([]),
  days_of_month: z.array(parsedWith(parseDayOfMonthRange)).default([]),
  months: z.array(parsedWith(parseMonthRange)).default([]),
  years: z.array(parsedWith(parseYearRange)).default([]),
  location: parsedWith(parseLocation).default("UTC"),
}).transform(
  (interval): TimeInterval => ({
    times: interval.times,
    weekdays: interval.weekdays,
    daysOfMonth: interval.days_of_month,
    months: interval.months,
    years: interval.years,
    location: interval.location,
  }),
);

const namedTimeIntervals = z
  .array(
    strictObject({
      name: z.string().min(1, "must not be empty"),
      time_intervals: z.array(timeIntervalSchema),
    }),
  )
  .default([]);

const configSchema = strictObject({
  global: strictObject({
    resolve_timeout: positiveDuration.optional(),
    external_url: httpUrl.optional(),
  }).default({}),
  resolve_timeouts: z.record(z.string(), positiveDuration).default({}),
  route: routeSchema,
  receivers: z.array(receiverSchema).min(1, "must list at least one receiver"),
  inhibit_rules: z
    .array(
      strictObject({
        source_matchers: matcherList,
        target_matchers: matcherList,
        equal: z.array(labelName).default([]),
      }).transform(
        (rule): InhibitRule => ({
          sourceMatchers: rule.source_matchers,
          targetMatchers: rule.target_matchers,
          equal: rule.equal,
        }),
      ),
    )
    .default([]),
  time_intervals: namedTimeIntervals,
  /** Alertmanager's older name for time_intervals, still accepted there. */
  mute_time_intervals: namedTimeIntervals,
});

type ConfigSpec = z.output<typeof configSchema>;

function errorFromIssues(issues: readonly z.core.$ZodIssue[]): RoutingConfigError {
  // An unknown key is usually a misspelt known one: the likeliest cause of any other issue.
  const issue = issues.find((candidate) => candidate.code === "unrecognized_keys") ?? issues[0];
  if (!issue) return new RoutingConfigError("", "invalid configuration");
  const path = formatPath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys":
      return new RoutingConfigError(joinPath(path, issue.keys[0] ?? ""), issue.message);
    case "invalid_type": {
      if (issue.input === undefined) return new RoutingConfigError(path, "is required");
      const expected = typeNames[issue.expected];
      // Checks like .int() report invalid_type too, with the message the schema gave them.
      if (!expected) return new RoutingConfigError(path, issue.message);
      return new RoutingConfigError(path, `must be ${expected}, got ${typeOf(issue.input)}`);
    }
    case "invalid_value":
      return new RoutingConfigError(
        path,
        `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
      );
    default:
      return new RoutingConfigError(path, issue.message);
  }
}

const typeNames: Partial<Record<string, string>> = {
  array: "a list",
  object: "a mapping",
  record: "a mapping",
  string: "a string",
  number: "a number",
  boolean: "true or false",
};

/** The YAML type of a value, never the value itself: it may be a secret. */
function typeOf(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object" && value !== null) return "a mapping";
  return `a ${typeof value}`;
}

function formatPath(segments: readonly PropertyKey[]): string {
  return segments.reduce<string>(
    (path, segment) =>
      typeof segment === "number" ? `${path}[${segment}]` : joinPath(path, String(segment)),
    "",
  );
}

function joinPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---- Values: the checks zod transforms and file contents share; messages start with "must" ----

function checkHttpUrl(text: string): string {
  // Never echo the URL: webhook URLs (Slack's above all) carry their credentials.
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw new Error("must be an http:// or https:// URL");
  }
  return text;
}

const signingSecretMinBytes = 24;

function checkSigningSecret(text: string): string {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(text);
  if (!match) {
    throw new Error(
      `must be a Standard Webhooks secret: whsec_ followed by base64 of at least ${signingSecretMinBytes} random bytes`,
    );
  }
  const bytes = Buffer.from(match[1] as string, "base64").length;
  if (bytes < signingSecretMinBytes) {
    throw new Error(`must hold at least ${signingSecretMinBytes} random bytes after whsec_, has ${bytes}`);
  }
  return text;
}

function checkNotBlank(text: string): string {
  if (text.trim() === "") throw new Error("must not be empty");
  return text;
}

// ---- Meaning: files, references and rules that span fields ----

type FileReader = (path: string, file: string) => string;

function fileReader(readFile: (path: string) => string): FileReader {
  return (path, file) => {
    try {
      return readFile(file);
    } catch (error) {
      throw new RoutingConfigError(path, `cannot read ${JSON.stringify(file)}: ${messageOf(error)}`);
    }
  };
}

/** The value given inline as `key` or in the file named by `${key}_file`: exactly one of them. */
function inlineOrFile(
  path: string,
  key: string,
  inline: string | undefined,
  file: string | undefined,
  files: FileReader,
  check: (text: string) => string,
): string {
  const fileKey = `${key}_file`;
  if (inline !== undefined && file !== undefined) {
    throw new RoutingConfigError(path, `set ${key} or ${fileKey}, not both`);
  }
  if (inline !== undefined) return inline;
  if (file === undefined) throw new RoutingConfigError(path, `${key} or ${fileKey} is required`);
  const filePath = joinPath(path, fileKey);
  const text = files(filePath, file).trim();
  try {
    return check(text);
  } catch (error) {
    throw new RoutingConfigError(filePath, `the content of ${JSON.stringify(file)} ${messageOf(error)}`);
  }
}

/** Inline secrets and those of the secrets file (one a line; blank lines and # comments skipped). */
function signingSecretsOf(
  path: string,
  spec: { signing_secrets?: string[] | undefined; signing_secrets_file?: string | undefined },
  files: FileReader,
): string[] {
  const secrets = [...(spec.signing_secrets ?? [])];
  const file = spec.signing_secrets_file;
  if (file !== undefined) {
    const filePath = joinPath(path, "signing_secrets_file");
    const lines = files(filePath, file).split(/\r?\n/);
    const before = secrets.length;
    lines.forEach((rawLine, index) => {
      const line = rawLine.trim();
      if (line === "" || line.startsWith("#")) return;
      try {
        secrets.push(checkSigningSecret(line));
      } catch (error) {
        throw new RoutingConfigError(
          filePath,
          `line ${index + 1} of ${JSON.stringify(file)} ${messageOf(error)}`,
        );
      }
    });
    // An empty file is a secret that failed to mount, not a wish to send unsigned.
    if (secrets.length === before)
      throw new RoutingConfigError(filePath, `${JSON.stringify(file)} holds no secrets`);
  }
  return [...new Set(secrets)];
}

function receiversOf(specs: ConfigSpec["receivers"], files: FileReader): Map<string, ReceiverConfig> {
  const receivers = new Map<string, ReceiverConfig>();
  specs.forEach((spec, index) => {
    const path = `receivers[${index}]`;
    if (receivers.has(spec.name)) {
      throw new RoutingConfigError(`${path}.name`, `receiver ${JSON.stringify(spec.name)} is defined twice`);
    }
    const webhooks = spec.webhook_configs.map((webhook, i): WebhookIntegration => {
      const at = `${path}.webhook_configs[${i}]`;
      return {
        type: "webhook",
        payload: webhook.payload,
        url: inlineOrFile(at, "url", webhook.url, webhook.url_file, files, checkHttpUrl),
        signingSecrets: signingSecretsOf(at, webhook, files),
        sendResolved: webhook.send_resolved,
        maxAlerts: webhook.max_alerts,
      };
    });
    const pagerDuties = spec.pagerduty_configs.map((pagerDuty, i): PagerDutyIntegration => {
      const at = `${path}.pagerduty_configs[${i}]`;
      const { routing_key: key, routing_key_file: keyFile } = pagerDuty;
      return {
        type: "pagerduty",
        url: pagerDuty.url,
        routingKey: inlineOrFile(at, "routing_key", key, keyFile, files, checkNotBlank),
        signingSecrets: signingSecretsOf(at, pagerDuty, files),
        sendResolved: pagerDuty.send_resolved,
      };
    });
    const slacks = spec.slack_configs.map((slack, i): SlackIntegration => {
      const at = `${path}.slack_configs[${i}]`;
      return {
        type: "slack",
        url: inlineOrFile(at, "api_url", slack.api_url, slack.api_url_file, files, checkHttpUrl),
        ...(slack.channel !== undefined && { channel: slack.channel }),
        sendResolved: slack.send_resolved,
      };
    });
    receivers.set(spec.name, { name: spec.name, integrations: [...webhooks, ...pagerDuties, ...slacks] });
  });
  return receivers;
}

function timeIntervalsOf(spec: ConfigSpec): Map<string, TimeInterval[]> {
  const intervals = new Map<string, TimeInterval[]>();
  for (const key of ["time_intervals", "mute_time_intervals"] as const) {
    spec[key].forEach((named, index) => {
      if (intervals.has(named.name)) {
        throw new RoutingConfigError(
          `${key}[${index}].name`,
          `time interval ${JSON.stringify(named.name)} is defined twice`,
        );
      }
      intervals.set(named.name, named.time_intervals);
    });
  }
  return intervals;
}

function resolveTimeoutsOf(timeouts: Record<string, number>): Record<string, number> {
  for (const kind of Object.keys(timeouts)) {
    if (!findingKindNames.includes(kind)) {
      throw new RoutingConfigError(
        `resolve_timeouts.${kind}`,
        `unknown finding kind (kinds: ${findingKindNames.join(", ")})`,
      );
    }
  }
  return timeouts;
}

/** The root catches every alert, so Alertmanager forbids what would make it selective. */
function checkRoot(root: RouteSpec): void {
  if (root.receiver === undefined) {
    throw new RoutingConfigError(
      "route.receiver",
      "is required on the root route: it receives what no child takes",
    );
  }
  if (root.matchers.length > 0) {
    throw new RoutingConfigError("route.matchers", "not allowed on the root route: it matches every alert");
  }
  if (root.continue)
    throw new RoutingConfigError("route.continue", "not allowed on the root route: it has no siblings");
  if (root.muteTimeIntervals.length > 0) {
    throw new RoutingConfigError(
      "route.mute_time_intervals",
      "not allowed on the root route (as in Alertmanager): set them on its child routes",
    );
  }
  if (root.activeTimeIntervals.length > 0) {
    throw new RoutingConfigError(
      "route.active_time_intervals",
      "not allowed on the root route (as in Alertmanager): set them on its child routes",
    );
  }
}

function checkReferences(
  route: RouteSpec,
  path: string,
  receivers: ReadonlyMap<string, ReceiverConfig>,
  intervals: ReadonlyMap<string, TimeInterval[]>,
): void {
  if (route.receiver !== undefined && !receivers.has(route.receiver)) {
    throw new RoutingConfigError(
      `${path}.receiver`,
      `no receiver named ${JSON.stringify(route.receiver)} (receivers: ${[...receivers.keys()].join(", ")})`,
    );
  }
  for (const key of ["mute_time_intervals", "active_time_intervals"] as const) {
    const names = key === "mute_time_intervals" ? route.muteTimeIntervals : route.activeTimeIntervals;
    names.forEach((name, index) => {
      if (!intervals.has(name)) {
        throw new RoutingConfigError(
          `${path}.${key}[${index}]`,
          `no time interval named ${JSON.stringify(name)}`,
        );
      }
    });
  }
  route.routes.forEach((child, index) => {
    checkReferences(child, `${path}.routes[${index}]`, receivers, intervals);
  });
}
