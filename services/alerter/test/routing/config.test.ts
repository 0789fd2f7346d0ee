import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { RoutingConfigError, resolveTimeoutFor } from "../../src/domain/routing/config.js";
import { formatMatcher } from "../../src/domain/routing/matchers.js";
import { timeIntervalContains } from "../../src/domain/routing/time-intervals.js";
import { errorOf, fullConfig, otherSecret, parse, secret, yamlWith } from "./fixtures.js";

const minimal = "route: {receiver: a}\nreceivers: [{name: a}]\n";

describe("parseRoutingConfig defaults", () => {
  it("fills in Alertmanager's defaults", () => {
    const config = parse(minimal);
    expect(config.resolveTimeoutMs).toBe(300_000);
    expect(config.resolveTimeoutsByKind).toEqual({});
    expect(config.externalUrl).toBe("");
    expect(config.inhibitRules).toEqual([]);
    expect(config.timeIntervals.size).toBe(0);
    expect(config.receivers.get("a")).toEqual({ name: "a", integrations: [] });
    expect(config.route).toEqual({
      key: "{}",
      receiver: "a",
      matchers: [],
      continue: false,
      groupBy: [],
      groupWaitMs: 30_000,
      groupIntervalMs: 300_000,
      repeatIntervalMs: 4 * 3_600_000,
      muteTimeIntervals: [],
      activeTimeIntervals: [],
      routes: [],
    });
  });

  it("fills in each integration's defaults", () => {
    const config = parse(`
route: {receiver: all}
receivers:
  - name: all
    webhook_configs: [{url: "http://hooks.internal:8080/x"}]
    pagerduty_configs: [{routing_key: key}]
    slack_configs: [{api_url: "https://hooks.slack.com/services/T/B/X"}]
`);
    expect(config.receivers.get("all")?.integrations).toEqual([
      {
        type: "webhook",
        payload: "alertmanager",
        url: "http://hooks.internal:8080/x",
        signingSecrets: [],
        sendResolved: true,
        maxAlerts: 0,
      },
      {
        type: "pagerduty",
        url: "https://events.pagerduty.com/v2/enqueue",
        routingKey: "key",
        signingSecrets: [],
        sendResolved: true,
      },
      { type: "slack", url: "https://hooks.slack.com/services/T/B/X", sendResolved: false },
    ]);
  });

  it("treats a key without a value as absent", () => {
    const config = parse("global:\nroute:\n  receiver: a\n  group_by:\n  routes:\nreceivers: [{name: a}]\n");
    expect(config.route.groupBy).toEqual([]);
    expect(config.resolveTimeoutMs).toBe(300_000);
  });
});

describe("parseRoutingConfig with every section", () => {
  const config = parse(stringify(fullConfig()));

  it("reads global settings and per-kind resolve timeouts", () => {
    expect(config.resolveTimeoutMs).toBe(600_000);
    expect(config.externalUrl).toBe("https://argus.example.com");
    expect(resolveTimeoutFor(config, "drift")).toBe(2 * 3_600_000);
    expect(resolveTimeoutFor(config, "outlier")).toBe(600_000);
    expect(resolveTimeoutFor(config, "constructor")).toBe(600_000);
  });

  it("builds the route tree with inheritance", () => {
    const [pager, chat] = config.route.routes;
    expect(pager).toMatchObject({
      key: '{}/{severity="critical"}',
      receiver: "pager",
      groupBy: ["model_id", "kind"],
      groupWaitMs: 30_000,
      muteTimeIntervals: ["nights"],
    });
    expect(chat).toMatchObject({ receiver: "chat", groupBy: ["model_id", "kind"], groupWaitMs: 60_000 });
    expect(chat?.matchers.map(formatMatcher)).toEqual(['kind=~"drift|outlier"']);
  });

  it("keeps receivers by name in file order", () => {
    expect([...config.receivers.keys()]).toEqual(["oncall", "pager", "chat"]);
    expect(config.receivers.get("oncall")?.integrations[0]).toMatchObject({ signingSecrets: [secret] });
  });

  it("reads inhibit rules", () => {
    expect(config.inhibitRules).toEqual([
      {
        sourceMatchers: [{ name: "severity", type: "=", value: "critical" }],
        targetMatchers: [{ name: "severity", type: "=", value: "warning" }],
        equal: ["model_id"],
      },
    ]);
  });

  it("reads time intervals in their location", () => {
    const [nights] = config.timeIntervals.get("nights") ?? [];
    expect(nights).toEqual({
      times: [{ startMinute: 0, endMinute: 360 }],
      weekdays: [{ begin: 1, end: 5 }],
      daysOfMonth: [
        { begin: 1, end: 5 },
        { begin: -1, end: -1 },
      ],
      months: [
        { begin: 1, end: 3 },
        { begin: 12, end: 12 },
      ],
      years: [{ begin: 2026, end: 2027 }],
      location: "Europe/Berlin",
    });
    // Monday 2 March 2026, 05:30 in Berlin (04:30 UTC).
    expect(timeIntervalContains(nights as never, new Date("2026-03-02T04:30:00Z"))).toBe(true);
    expect(timeIntervalContains(nights as never, new Date("2026-03-02T05:30:00Z"))).toBe(false);
  });

  it("accepts the legacy top-level mute_time_intervals and YAML numbers in ranges", () => {
    const legacy = parse(`
route: {receiver: a, routes: [{matchers: ['x="1"'], mute_time_intervals: [old], active_time_intervals: [new]}]}
receivers: [{name: a}]
mute_time_intervals: [{name: old, time_intervals: [{years: [2026], days_of_month: [-1], months: [12]}]}]
time_intervals: [{name: new, time_intervals: [{weekdays: [Monday]}]}]
`);
    expect([...legacy.timeIntervals.keys()]).toEqual(["new", "old"]);
    expect(legacy.timeIntervals.get("old")?.[0]).toMatchObject({
      years: [{ begin: 2026, end: 2026 }],
      daysOfMonth: [{ begin: -1, end: -1 }],
      months: [{ begin: 12, end: 12 }],
      location: "UTC",
    });
  });
});

describe("secrets and URLs from files", () => {
  const withFiles = `
route: {receiver: a}
receivers:
  - name: a
    webhook_configs:
      - url_file: /run/secrets/url
        signing_secrets: [${secret}]
        signing_secrets_file: /run/secrets/signing
        payload: argus
        max_alerts: 20
        send_resolved: false
    pagerduty_configs: [{routing_key_file: /run/secrets/pd, signing_secrets_file: /run/secrets/signing}]
    slack_configs: [{api_url_file: /run/secrets/slack, channel: '#alerts', send_resolved: true}]
`;
  const files = {
    "/run/secrets/url": "https://hooks.example.com/from-file\n",
    "/run/secrets/signing": `# rotated 2026-01-01\n\n  ${otherSecret}  \n${secret}\n`,
    "/run/secrets/pd": " pd-routing-key\n",
    "/run/secrets/slack": "https://hooks.slack.com/services/T/B/Y\n",
  };

  it("reads them trimmed, secrets one a line without blanks and comments", () => {
    const [webhook, pagerDuty, slack] = parse(withFiles, files).receivers.get("a")?.integrations ?? [];
    expect(webhook).toEqual({
      type: "webhook",
      payload: "argus",
      url: "https://hooks.example.com/from-file",
      signingSecrets: [secret, otherSecret],
      sendResolved: false,
      maxAlerts: 20,
    });
    expect(pagerDuty).toMatchObject({ routingKey: "pd-routing-key", signingSecrets: [otherSecret, secret] });
    expect(slack).toEqual({
      type: "slack",
      url: "https://hooks.slack.com/services/T/B/Y",
      channel: "#alerts",
      sendResolved: true,
    });
  });

  it("names the field and the file when a file cannot be read", () => {
    const { "/run/secrets/pd": _missing, ...others } = files;
    const error = errorOf(withFiles, others);
    expect(error.path).toBe("receivers[0].pagerduty_configs[0].routing_key_file");
    expect(error.message).toBe(
      'receivers[0].pagerduty_configs[0].routing_key_file: cannot read "/run/secrets/pd": ' +
        "ENOENT: no such file or directory, open '/run/secrets/pd'",
    );
  });

  it("checks what the files hold without echoing it", () => {
    const badUrl = errorOf(withFiles, { ...files, "/run/secrets/url": "hooks.example.com/token-123" });
    expect(badUrl.path).toBe("receivers[0].webhook_configs[0].url_file");
    expect(badUrl.message).toContain('the content of "/run/secrets/url" must be an http:// or https:// URL');
    expect(badUrl.message).not.toContain("token-123");
    const badSecret = errorOf(withFiles, {
      ...files,
      "/run/secrets/signing": `${secret}\n\nwhsec_c2hvcnQ=\n`,
    });
    expect(badSecret.path).toBe("receivers[0].webhook_configs[0].signing_secrets_file");
    expect(badSecret.message).toContain(
      'line 3 of "/run/secrets/signing" must hold at least 24 random bytes',
    );
    expect(badSecret.message).not.toContain("c2hvcnQ");
    const emptySecrets = errorOf(withFiles, { ...files, "/run/secrets/signing": "# none yet\n" });
    expect(emptySecrets.message).toContain('"/run/secrets/signing" holds no secrets');
    const blankKey = errorOf(withFiles, { ...files, "/run/secrets/pd": "\n" });
    expect(blankKey.path).toBe("receivers[0].pagerduty_configs[0].routing_key_file");
    expect(blankKey.message).toContain("must not be empty");
  });
});

describe("parseRoutingConfig errors", () => {
  // [what is set (path, value; undefined removes it), the path the error names, part of its message]
  const cases: [string, unknown, string, string][] = [
    ["routee", {}, "routee", "unknown key (known keys: global, resolve_timeouts, route, receivers"],
    ["route.routes[0].group_wiat", "1m", "route.routes[0].group_wiat", "unknown key"],
    ["receivers[0].webhook_configs[0].secret", "x", "receivers[0].webhook_configs[0].secret", "unknown key"],
    ["route", undefined, "route", "is required"],
    ["route.routes", { receiver: "a" }, "route.routes", "must be a list, got a mapping"],
    ["route.receiver", undefined, "route.receiver", "is required on the root route"],
    ["route.receiver", "", "route.receiver", "must name a receiver"],
    ["route.matchers", ['severity="critical"'], "route.matchers", "not allowed on the root route"],
    ["route.continue", true, "route.continue", "not allowed on the root route"],
    ["route.continue", "yes", "route.continue", "must be true or false, got a string"],
    ["route.mute_time_intervals", ["nights"], "route.mute_time_intervals", "not allowed on the root route"],
    [
      "route.active_time_intervals",
      ["nights"],
      "route.active_time_intervals",
      "not allowed on the root route",
    ],
    ["route.routes[1].receiver", "nobody", "route.routes[1].receiver", 'no receiver named "nobody"'],
    [
      "route.routes[1].routes",
      [{ receiver: "ghost" }],
      "route.routes[1].routes[0].receiver",
      'no receiver named "ghost"',
    ],
    [
      "route.routes[0].mute_time_intervals[1]",
      "days",
      "route.routes[0].mute_time_intervals[1]",
      'no time interval named "days"',
    ],
    [
      "route.routes[1].active_time_intervals",
      ["weekend"],
      "route.routes[1].active_time_intervals[0]",
      'no time interval named "weekend"',
    ],
    ["route.routes[0].matchers[1]", "severity", "route.routes[0].matchers[1]", '"severity" is not a matcher'],
    [
      "route.routes[0].matchers[0]",
      'kind=~"drift("',
      "route.routes[0].matchers[0]",
      'invalid regular expression "drift("',
    ],
    ["route.routes[0].matchers[0]", 'model-id="x"', "route.routes[0].matchers[0]", "is not a matcher"],
    ["route.group_by[1]", "model-id", "route.group_by[1]", '"model-id" is not a label name'],
    ["route.group_by[1]", "model_id", "route.group_by[1]", '"model_id" is listed twice'],
    ["route.group_by[1]", "...", "route.group_by", '"..." (group by every label) must be the only entry'],
    [
      "route.routes[1].group_wait",
      "3 min",
      "route.routes[1].group_wait",
      'must be a duration like 30s, got "3 min"',
    ],
    ["route.group_interval", "0s", "route.group_interval", "must be longer than 0s"],
    ["route.routes[0].repeat_interval", 0, "route.routes[0].repeat_interval", "must be longer than 0s"],
    ["route.repeat_interval", 4, "route.repeat_interval", "a unit is required"],
    ["global.resolve_timeout", "5 minutes", "global.resolve_timeout", "must be a duration"],
    ["global.resolve_timeout", "0s", "global.resolve_timeout", "must be longer than 0s"],
    ["global.external_url", "argus.example.com", "global.external_url", "must be an http:// or https:// URL"],
    [
      "resolve_timeouts.driftt",
      "1h",
      "resolve_timeouts.driftt",
      "unknown finding kind (kinds: drift, input_violation",
    ],
    ["resolve_timeouts.drift", "2 hours", "resolve_timeouts.drift", "must be a duration"],
    ["receivers", undefined, "receivers", "is required"],
    ["receivers", [], "receivers", "must list at least one receiver"],
    ["receivers[3]", { name: "pager" }, "receivers[3].name", 'receiver "pager" is defined twice'],
    ["receivers[0].name", "", "receivers[0].name", "must not be empty"],
    [
      "receivers[0].webhook_configs[0].url_file",
      "/u",
      "receivers[0].webhook_configs[0]",
      "set url or url_file, not both",
    ],
    [
      "receivers[0].webhook_configs[0].url",
      undefined,
      "receivers[0].webhook_configs[0]",
      "url or url_file is required",
    ],
    [
      "receivers[0].webhook_configs[0].url",
      "ftp://hooks.example.com",
      "receivers[0].webhook_configs[0].url",
      "must be an http:// or https:// URL",
    ],
    [
      "receivers[0].webhook_configs[0].url",
      "https://",
      "receivers[0].webhook_configs[0].url",
      "must be an http:// or https:// URL",
    ],
    ["receivers[0].webhook_configs[0].url_file", "/missing", "receivers[0].webhook_configs[0]", "not both"],
    [
      "receivers[0].webhook_configs[0].payload",
      "json",
      "receivers[0].webhook_configs[0].payload",
      'must be one of "alertmanager", "argus"',
    ],
    [
      "receivers[0].webhook_configs[0].max_alerts",
      -1,
      "receivers[0].webhook_configs[0].max_alerts",
      "must be 0 (unlimited) or more",
    ],
    [
      "receivers[0].webhook_configs[0].max_alerts",
      1.5,
      "receivers[0].webhook_configs[0].max_alerts",
      "must be a whole number",
    ],
    [
      "receivers[0].webhook_configs[0].signing_secrets[1]",
      "secret",
      "receivers[0].webhook_configs[0].signing_secrets[1]",
      "must be a Standard Webhooks secret",
    ],
    [
      "receivers[0].webhook_configs[0].signing_secrets[0]",
      "whsec_c2hvcnQ=",
      "receivers[0].webhook_configs[0].signing_secrets[0]",
      "must hold at least 24 random bytes after whsec_, has 5",
    ],
    [
      "receivers[0].webhook_configs[0].signing_secrets_file",
      "/nowhere",
      "receivers[0].webhook_configs[0].signing_secrets_file",
      'cannot read "/nowhere"',
    ],
    [
      "receivers[1].pagerduty_configs[0].routing_key_file",
      "/k",
      "receivers[1].pagerduty_configs[0]",
      "set routing_key or routing_key_file, not both",
    ],
    [
      "receivers[1].pagerduty_configs[0].routing_key",
      undefined,
      "receivers[1].pagerduty_configs[0]",
      "routing_key or routing_key_file is required",
    ],
    [
      "receivers[1].pagerduty_configs[0].routing_key",
      " ",
      "receivers[1].pagerduty_configs[0].routing_key",
      "must not be empty",
    ],
    [
      "receivers[1].pagerduty_configs[0].url",
      "mailto:x@example.com",
      "receivers[1].pagerduty_configs[0].url",
      "must be an http:// or https:// URL",
    ],
    [
      "receivers[2].slack_configs[0].api_url",
      undefined,
      "receivers[2].slack_configs[0]",
      "api_url or api_url_file is required",
    ],
    [
      "receivers[2].slack_configs[0].channel",
      "",
      "receivers[2].slack_configs[0].channel",
      "must name a channel",
    ],
    [
      "receivers[2].slack_configs[0].username",
      "argus",
      "receivers[2].slack_configs[0].username",
      "unknown key",
    ],
    [
      "inhibit_rules[0].source_matchers[0]",
      "critical",
      "inhibit_rules[0].source_matchers[0]",
      "is not a matcher",
    ],
    ["inhibit_rules[0].equal[0]", "model id", "inhibit_rules[0].equal[0]", "must be a label name"],
    [
      "inhibit_rules[0].source_match",
      { severity: "critical" },
      "inhibit_rules[0].source_match",
      "unknown key",
    ],
    [
      "mute_time_intervals",
      [{ name: "nights", time_intervals: [] }],
      "mute_time_intervals[0].name",
      'time interval "nights" is defined twice',
    ],
    ["time_intervals[0].name", "", "time_intervals[0].name", "must not be empty"],
    [
      "time_intervals[0].time_intervals[0].times[0].end_time",
      "25:00",
      "time_intervals[0].time_intervals[0].times[0]",
      'end_time must be a time of day HH:MM from 00:00 to 24:00, got "25:00"',
    ],
    [
      "time_intervals[0].time_intervals[0].times[0].start_time",
      "07:00",
      "time_intervals[0].time_intervals[0].times[0]",
      "start_time 07:00 must be before end_time 06:00",
    ],
    [
      "time_intervals[0].time_intervals[0].times[0].end_time",
      undefined,
      "time_intervals[0].time_intervals[0].times[0].end_time",
      "is required",
    ],
    [
      "time_intervals[0].time_intervals[0].weekdays[1]",
      "funday",
      "time_intervals[0].time_intervals[0].weekdays[1]",
      '"funday" is not a weekday',
    ],
    [
      "time_intervals[0].time_intervals[0].weekdays[0]",
      "friday:monday",
      "time_intervals[0].time_intervals[0].weekdays[0]",
      "ends before it starts",
    ],
    [
      "time_intervals[0].time_intervals[0].days_of_month[0]",
      "0:5",
      "time_intervals[0].time_intervals[0].days_of_month[0]",
      "0 is not a day of the month",
    ],
    [
      "time_intervals[0].time_intervals[0].days_of_month[1]",
      -32,
      "time_intervals[0].time_intervals[0].days_of_month[1]",
      "-32 is not a day of the month",
    ],
    [
      "time_intervals[0].time_intervals[0].months[1]",
      "13",
      "time_intervals[0].time_intervals[0].months[1]",
      '"13" is not a month',
    ],
    [
      "time_intervals[0].time_intervals[0].years[0]",
      "2027:2026",
      "time_intervals[0].time_intervals[0].years[0]",
      "ends before it starts",
    ],
    [
      "time_intervals[0].time_intervals[0].location",
      "Mars/Olympus_Mons",
      "time_intervals[0].time_intervals[0].location",
      '"Mars/Olympus_Mons" is not a known IANA time zone',
    ],
    [
      "time_intervals[0].time_intervals[0].time_zone",
      "UTC",
      "time_intervals[0].time_intervals[0].time_zone",
      "unknown key",
    ],
  ];

  it.each(cases)("setting %s to %j fails at %s", (path, value, errorPath, message) => {
    const error = errorOf(yamlWith(path, value));
    expect(error).toBeInstanceOf(RoutingConfigError);
    expect(error.path).toBe(errorPath);
    expect(error.message.startsWith(`${errorPath}: `)).toBe(true);
    expect(error.message).toContain(message);
  });

  it("words the spec's duration example exactly", () => {
    const config = fullConfig();
    expect(errorOf(yamlWith("route.routes[1].group_wait", "3 min", config)).message).toBe(
      'route.routes[1].group_wait: must be a duration like 30s, got "3 min" ' +
        "(integers with units y, w, d, h, m, s or ms, without spaces, e.g. 500ms, 5m, 1h30m, 1d)",
    );
  });

  it("accepts a repeat_interval shorter than group_interval, as Alertmanager does", () => {
    const config = parse(yamlWith("route.repeat_interval", "1m"));
    expect(config.route.repeatIntervalMs).toBe(60_000);
    expect(config.route.groupIntervalMs).toBe(300_000);
  });

  it("never echoes an inline URL or secret", () => {
    const url = errorOf(
      yamlWith("receivers[2].slack_configs[0].api_url", "hooks.slack.com/services/T/B/SECRET"),
    );
    expect(url.message).not.toContain("SECRET");
    const key = errorOf(yamlWith("receivers[1].pagerduty_configs[0].routing_key", ["pd-SECRET"]));
    expect(key.message).toBe("receivers[1].pagerduty_configs[0].routing_key: must be a string, got a list");
    const signing = errorOf(
      yamlWith("receivers[0].webhook_configs[0].signing_secrets[0]", "whsec_NOT*BASE64"),
    );
    expect(signing.message).not.toContain("NOT*BASE64");
  });

  it("reports YAML syntax errors with their line", () => {
    const error = errorOf("route:\n  receiver: a\n  group_by: [model_id\nreceivers: [{name: a}]\n");
    expect(error.path).toBe("");
    expect(error.message).toMatch(/^invalid YAML at line \d+, column \d+: /);
    expect(errorOf("route: {receiver: a}\nroute: {receiver: b}\nreceivers: [{name: a}]\n").message).toMatch(
      /^invalid YAML at line 2, column 1: Map keys must be unique/,
    );
  });

  it("refuses an empty or non-mapping document", () => {
    expect(errorOf("").message).toBe("the configuration is empty");
    expect(errorOf("# nothing\n").message).toBe("the configuration is empty");
    expect(errorOf("- route\n").message).toBe(
      "the configuration must be a YAML mapping with route and receivers",
    );
  });

  it("prefers an unknown key to the errors it causes", () => {
    const error = errorOf("route: {recevier: a}\nreceivers: [{name: a, webhook_configs: [{ulr: 'x'}]}]\n");
    expect(error.path).toBe("route.recevier");
  });
});
