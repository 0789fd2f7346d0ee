import { stringify } from "yaml";
import {
  type AlerterRoutingConfig,
  parseRoutingConfig,
  RoutingConfigError,
} from "../../src/domain/routing/config.js";

/** A Standard Webhooks secret of 24 bytes, the shortest allowed. */
export const secret = `whsec_${Buffer.alloc(24, 7).toString("base64")}`;
export const otherSecret = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;

/** A readFile over in-memory files that fails like the file system for any other path. */
export function filesOf(contents: Record<string, string>): (path: string) => string {
  return (path) => {
    if (!Object.hasOwn(contents, path)) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return contents[path] as string;
  };
}

export function parse(yamlText: string, files: Record<string, string> = {}): AlerterRoutingConfig {
  return parseRoutingConfig(yamlText, filesOf(files));
}

/** The RoutingConfigError parsing throws; fails the test when it parses. */
export function errorOf(yamlText: string, files: Record<string, string> = {}): RoutingConfigError {
  try {
    parse(yamlText, files);
  } catch (error) {
    if (error instanceof RoutingConfigError) return error;
    throw error;
  }
  throw new Error("the configuration parsed, but an error was expected");
}

/** A valid configuration using every section, as a plain object tests change one field of. */
export function fullConfig(): Record<string, unknown> {
  return {
    global: { resolve_timeout: "10m", external_url: "https://argus.example.com" },
    resolve_timeouts: { drift: "2h" },
    route: {
      receiver: "oncall",
      group_by: ["model_id", "kind"],
      routes: [
        { receiver: "pager", matchers: ['severity="critical"'], mute_time_intervals: ["nights"] },
        { receiver: "chat", matchers: ['kind=~"drift|outlier"'], group_wait: "1m" },
      ],
    },
    receivers: [
      {
        name: "oncall",
        webhook_configs: [{ url: "https://hooks.example.com/oncall", signing_secrets: [secret] }],
      },
      { name: "pager", pagerduty_configs: [{ routing_key: "pd-key" }] },
      { name: "chat", slack_configs: [{ api_url: "https://hooks.slack.com/services/T/B/X" }] },
    ],
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ["model_id"],
      },
    ],
    time_intervals: [
      {
        name: "nights",
        time_intervals: [
          {
            times: [{ start_time: "00:00", end_time: "06:00" }],
            weekdays: ["monday:friday"],
            days_of_month: ["1:5", "-1"],
            months: ["january:march", "12"],
            years: ["2026:2027"],
            location: "Europe/Berlin",
          },
        ],
      },
    ],
  };
}

/**
 * `config` as YAML after setting the field at `path` ("route.routes[1].group_wait") to `value`, or
 * removing it when `value` is undefined.
 */
export function yamlWith(path: string, value: unknown, config = fullConfig()): string {
  const keys = path.split(/\.|(?=\[)/).map((key) => (key.startsWith("[") ? Number(key.slice(1, -1)) : key));
  let parent = config as Record<string | number, unknown>;
  keys.slice(0, -1).forEach((key, index) => {
    parent[key] ??= typeof keys[index + 1] === "number" ? [] : {};
    parent = parent[key] as Record<string | number, unknown>;
  });
  const last = keys.at(-1) as string | number;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else {
    parent[last] = value;
  }
  return stringify(config);
}
