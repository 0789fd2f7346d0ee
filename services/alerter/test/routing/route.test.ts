import { describe, expect, it } from "vitest";
import { parseMatcher } from "../../src/domain/routing/matchers.js";
import {
  buildRouteTree,
  findRoute,
  groupKeyFor,
  groupLabelsFor,
  matchRoutes,
  type Route,
} from "../../src/domain/routing/route.js";
import { parse } from "./fixtures.js";

const receivers = (...names: string[]) => `receivers: [${names.map((name) => `{name: ${name}}`).join(", ")}]`;

// Alertmanager's documented example tree, time intervals included.
const documentedExample = parse(`
route:
  receiver: default-receiver
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  group_by: [cluster, alertname]
  routes:
    - receiver: database-pager
      group_wait: 10s
      matchers: ['service=~"mysql|cassandra"']
    - receiver: frontend-pager
      group_by: [product, environment]
      matchers: ['team="frontend"']
    - receiver: dev-pager
      matchers: ['service="inhouse-service"']
      mute_time_intervals: [offhours]
      continue: true
    - receiver: on-call-pager
      matchers: ['service="inhouse-service"']
      active_time_intervals: [offhours]
time_intervals:
  - name: offhours
    time_intervals: [{times: [{start_time: "18:00", end_time: "24:00"}]}]
${receivers("default-receiver", "database-pager", "frontend-pager", "dev-pager", "on-call-pager")}
`).route;

const receiversOf = (routes: Route[]) => routes.map((route) => route.receiver);

describe("matchRoutes on Alertmanager's documented example", () => {
  it("sends an alert to the first matching child, with inherited settings", () => {
    const [route, ...others] = matchRoutes(documentedExample, { service: "mysql", alertname: "Down" });
    expect(others).toEqual([]);
    expect(route?.receiver).toBe("database-pager");
    expect(route?.groupWaitMs).toBe(10_000);
    expect(route?.groupIntervalMs).toBe(300_000);
    expect(route?.repeatIntervalMs).toBe(4 * 3_600_000);
    expect(route?.groupBy).toEqual(["cluster", "alertname"]);
  });

  it("stops at the first matching sibling without continue", () => {
    expect(receiversOf(matchRoutes(documentedExample, { service: "cassandra", team: "frontend" }))).toEqual([
      "database-pager",
    ]);
    const [frontend] = matchRoutes(documentedExample, { team: "frontend" });
    expect(frontend?.groupBy).toEqual(["product", "environment"]);
  });

  it("goes on to later siblings after a match with continue", () => {
    const routes = matchRoutes(documentedExample, { service: "inhouse-service" });
    expect(receiversOf(routes)).toEqual(["dev-pager", "on-call-pager"]);
    expect(routes[0]?.muteTimeIntervals).toEqual(["offhours"]);
    expect(routes[1]?.activeTimeIntervals).toEqual(["offhours"]);
  });

  it("keeps an alert no child takes at the root", () => {
    expect(matchRoutes(documentedExample, { service: "redis" })).toEqual([documentedExample]);
    expect(matchRoutes(documentedExample, {})).toEqual([documentedExample]);
  });

  it("does not hand time intervals down", () => {
    const parent = parse(`
route:
  receiver: a
  routes:
    - matchers: ['team="x"']
      mute_time_intervals: [offhours]
      routes: [{matchers: ['env="prod"']}]
time_intervals: [{name: offhours, time_intervals: [{weekdays: [saturday]}]}]
${receivers("a")}
`).route;
    const [child] = matchRoutes(parent, { team: "x", env: "prod" });
    expect(child?.key).toBe('{}/{team="x"}/{env="prod"}');
    expect(child?.muteTimeIntervals).toEqual([]);
  });
});

describe("matchRoutes in nested trees", () => {
  const tree = parse(`
route:
  receiver: default
  routes:
    - matchers: ['owner="team-a"']
      receiver: team-a
      routes:
        - matchers: ['env="testing"']
          receiver: testing
          group_by: ['...']
        - matchers: ['env="production"']
          receiver: production-a
          group_wait: 1m
          continue: true
        - matchers: ['env=~"produ.*"', 'job=~".+"']
          receiver: production-b
          group_by: [job]
          repeat_interval: 1h
    - matchers: ['owner=~"team-(b|c)"']
      receiver: team-bc
      group_by: [foo, bar]
      group_wait: 2m
    - matchers: ['grouping="role"']
      group_by: [role]
      routes:
        - matchers: ['env="testing"']
          receiver: testing
          routes: [{matchers: ['wait="long"'], group_wait: 2m}]
        - matchers: ['env="production"']
          continue: true
          routes: [{matchers: ['tier="db"'], receiver: team-bc}]
        - matchers: ['env=~"prod.*"']
          receiver: production-b
${receivers("default", "team-a", "testing", "production-a", "production-b", "team-bc")}
`).route;

  it("returns the matching parent when none of its children matches", () => {
    const routes = matchRoutes(tree, { owner: "team-a", env: "staging" });
    expect(routes.map((route) => route.key)).toEqual(['{}/{owner="team-a"}']);
  });

  it("returns the deepest matching routes, following continue", () => {
    expect(receiversOf(matchRoutes(tree, { owner: "team-a", env: "testing" }))).toEqual(["testing"]);
    expect(receiversOf(matchRoutes(tree, { owner: "team-a", env: "production" }))).toEqual(["production-a"]);
    expect(receiversOf(matchRoutes(tree, { owner: "team-a", env: "production", job: "api" }))).toEqual([
      "production-a",
      "production-b",
    ]);
  });

  it("inherits from the nearest ancestor that sets a value", () => {
    const [deep] = matchRoutes(tree, { grouping: "role", env: "testing", wait: "long" });
    expect(deep?.key).toBe('{}/{grouping="role"}/{env="testing"}/{wait="long"}');
    expect(deep?.receiver).toBe("testing");
    expect(deep?.groupBy).toEqual(["role"]);
    expect(deep?.groupWaitMs).toBe(120_000);
    const [roleOnly] = matchRoutes(tree, { grouping: "role" });
    expect(roleOnly?.receiver).toBe("default");
  });

  it("lets a child's continue count even when the match came from its own child", () => {
    expect(receiversOf(matchRoutes(tree, { grouping: "role", env: "production", tier: "db" }))).toEqual([
      "team-bc",
      "production-b",
    ]);
    // The continuing child matches through itself when its own child does not.
    const routes = matchRoutes(tree, { grouping: "role", env: "production" });
    expect(routes.map((route) => route.key)).toEqual([
      '{}/{grouping="role"}/{env="production"}',
      '{}/{grouping="role"}/{env=~"prod.*"}',
    ]);
  });

  it("reads absent labels as empty, so != matches them", () => {
    const negated = parse(`
route:
  receiver: default
  routes: [{matchers: ['team!="payments"'], receiver: other}]
${receivers("default", "other")}
`).route;
    expect(receiversOf(matchRoutes(negated, {}))).toEqual(["other"]);
    expect(receiversOf(matchRoutes(negated, { team: "payments" }))).toEqual(["default"]);
  });
});

describe("route keys", () => {
  it("are built from the ancestors' and the route's matchers, sorted", () => {
    const root = parse(`
route:
  receiver: a
  routes:
    - matchers: ['severity="critical"', 'model_id=~"fraud-.*"']
      routes: [{matchers: ['summary="say \\"hi\\""']}]
${receivers("a")}
`).route;
    expect(root.key).toBe("{}");
    expect(root.routes[0]?.key).toBe('{}/{model_id=~"fraud-.*",severity="critical"}');
    expect(root.routes[0]?.routes[0]?.key).toBe(
      '{}/{model_id=~"fraud-.*",severity="critical"}/{summary="say \\"hi\\""}',
    );
  });

  it("number siblings with identical matchers, and only those", () => {
    expect(documentedExample.routes.map((route) => route.key)).toEqual([
      '{}/{service=~"mysql|cassandra"}',
      '{}/{team="frontend"}',
      '{}/{service="inhouse-service"}/0',
      '{}/{service="inhouse-service"}/1',
    ]);
  });

  it("stay the same when a sibling is added before", () => {
    const before = parse(`
route:
  receiver: a
  routes:
    - {matchers: ['team="x"']}
    - {matchers: ['team="y"'], continue: true}
    - {matchers: ['team="y"']}
${receivers("a")}
`).route;
    const after = parse(`
route:
  receiver: a
  routes:
    - {matchers: ['team="new"']}
    - {matchers: ['team="other"', 'env="prod"']}
    - {matchers: ['team="x"']}
    - {matchers: ['team="y"'], continue: true}
    - {matchers: ['team="y"']}
${receivers("a")}
`).route;
    expect(after.routes.slice(2).map((route) => route.key)).toEqual(before.routes.map((route) => route.key));
    const labels = { team: "x", model_id: "m1" };
    const keyIn = (root: Route) => {
      const [route] = matchRoutes(root, labels);
      return route && groupKeyFor(route, groupLabelsFor(route, labels));
    };
    expect(keyIn(after)).toBe(keyIn(before));
    expect(keyIn(before)).toBe('{}/{team="x"}:{}');
  });

  it("are unique across a tree and findable", () => {
    const keys: string[] = [];
    const visit = (route: Route) => {
      keys.push(route.key);
      route.routes.forEach(visit);
    };
    visit(documentedExample);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(findRoute(documentedExample, key)?.key).toBe(key);
    expect(findRoute(documentedExample, '{}/{team="backend"}')).toBeUndefined();
  });
});

describe("groups", () => {
  const tree = buildRouteTree({
    receiver: "a",
    matchers: [],
    continue: false,
    groupBy: ["cluster", "alertname"],
    muteTimeIntervals: [],
    activeTimeIntervals: [],
    routes: [
      {
        matchers: [parseMatcher('team="x"')],
        continue: false,
        groupBy: "all",
        muteTimeIntervals: [],
        activeTimeIntervals: [],
        routes: [
          {
            matchers: [parseMatcher('env="a"')],
            continue: false,
            muteTimeIntervals: [],
            activeTimeIntervals: [],
            routes: [],
          },
          {
            matchers: [parseMatcher('env="b"')],
            continue: false,
            groupBy: ["env"],
            muteTimeIntervals: [],
            activeTimeIntervals: [],
            routes: [],
          },
        ],
      },
    ],
  });
  const [team, teamEnvA, teamEnvB] = [
    tree.routes[0],
    tree.routes[0]?.routes[0],
    tree.routes[0]?.routes[1],
  ] as [Route, Route, Route];

  it("take only the group_by labels the alert has", () => {
    expect(groupLabelsFor(tree, { alertname: "Down", instance: "i1" })).toEqual({ alertname: "Down" });
    expect(groupLabelsFor(tree, { cluster: "eu", alertname: "Down", instance: "i1" })).toEqual({
      cluster: "eu",
      alertname: "Down",
    });
    expect(groupLabelsFor(tree, { constructor: "x" })).toEqual({});
  });

  it("take every label with '...', inherited until a child sets group_by", () => {
    const labels = { team: "x", env: "a", instance: "i1" };
    expect(groupLabelsFor(team, labels)).toEqual(labels);
    expect(teamEnvA.groupBy).toBe("all");
    expect(groupLabelsFor(teamEnvA, labels)).toEqual(labels);
    expect(groupLabelsFor(teamEnvB, { ...labels, env: "b" })).toEqual({ env: "b" });
  });

  it("have keys with the route key and the labels sorted by name", () => {
    expect(groupKeyFor(teamEnvA, { team: "x", env: "a", alertname: 'say "hi"' })).toBe(
      '{}/{team="x"}/{env="a"}:{alertname="say \\"hi\\"",env="a",team="x"}',
    );
    expect(groupKeyFor(tree, {})).toBe("{}:{}");
  });

  it("default to one group per route at the root", () => {
    const root = parse(`route: {receiver: a}\n${receivers("a")}`).route;
    expect(root.groupBy).toEqual([]);
    expect(groupKeyFor(root, groupLabelsFor(root, { model_id: "m1", kind: "drift" }))).toBe("{}:{}");
  });
});
