import { describe, expect, it } from "vitest";
import { firstFlushAt, type GroupRef, groupRef, groupsFor } from "../src/domain/grouping.js";
import { type AlerterRoutingConfig, parseRoutingConfig } from "../src/domain/routing/config.js";

function noFiles(path: string): string {
  throw new Error(`ENOENT: no such file or directory, open '${path}'`);
}

function parse(yamlText: string): AlerterRoutingConfig {
  return parseRoutingConfig(yamlText, noFiles);
}

const routes = `
route:
  receiver: oncall
  group_by: [alertname, model]
  group_wait: 30s
  routes:
    - receiver: pager
      matchers: ['severity="critical"']
      continue: true
    - receiver: chat
      matchers: ['team="risk"']
      group_by: ['...']
receivers: [{name: oncall}, {name: pager}, {name: chat}]
`;
const config = parse(routes);

const labels = { alertname: "InputViolation", model: "credit-risk", feature: "age", severity: "warning" };
const gidPattern = /^[A-Za-z0-9_-]{22}$/;

const acme = (alertLabels: Record<string, string>, fingerprint = "fp-1") => ({
  tenant: "acme",
  labels: alertLabels,
  fingerprint,
});

function only(groups: GroupRef[]): GroupRef {
  expect(groups).toHaveLength(1);
  return groups[0] as GroupRef;
}

describe("firstFlushAt", () => {
  const now = Date.UTC(2025, 2, 4, 5, 0, 0);
  const groupWait = 30_000;

  it("waits group_wait from now for a group whose alert just started", () => {
    expect(firstFlushAt(now, now, groupWait)).toBe(now + groupWait);
  });

  it("waits a whole group_wait from now, not from the start, for an alert that started less than that ago", () => {
    expect(firstFlushAt(now - 10_000, now, groupWait)).toBe(now + groupWait);
  });

  it("flushes at once when the alert started more than group_wait ago (e.g. after a restart)", () => {
    expect(firstFlushAt(now - groupWait - 1, now, groupWait)).toBe(now);
    expect(firstFlushAt(now - 3_600_000, now, groupWait)).toBe(now);
  });

  it("waits group_wait from now for an alert stamped in the future by a detector's fast clock", () => {
    expect(firstFlushAt(now + 60_000, now, groupWait)).toBe(now + groupWait);
  });

  it("flushes at once with a group_wait of 0", () => {
    expect(firstFlushAt(now, now, 0)).toBe(now);
    expect(firstFlushAt(now - 5_000, now, 0)).toBe(now);
  });
});

describe("groupsFor: group_by", () => {
  it("puts an alert into one group of its route, keyed by the group_by labels it has", () => {
    const group = only(groupsFor(config, acme(labels)));

    expect(group).toMatchObject({
      receiver: "oncall",
      routeKey: config.route.key,
      tenant: "acme",
      groupLabels: { alertname: "InputViolation", model: "credit-risk" },
    });
    expect(group.groupKey).toBe(`acme/${config.route.key}:{alertname="InputViolation",model="credit-risk"}`);
    expect(group.gid).toMatch(gidPattern);
  });

  it("groups alerts that differ only in labels outside group_by", () => {
    const age = only(groupsFor(config, acme(labels)));
    const income = only(groupsFor(config, acme({ ...labels, feature: "income", instance: "b" })));
    expect(income).toEqual(age);
  });

  it("splits alerts that differ in a group_by label", () => {
    const credit = only(groupsFor(config, acme(labels)));
    const fraud = only(groupsFor(config, acme({ ...labels, model: "fraud" })));
    expect(fraud.gid).not.toBe(credit.gid);
    expect(fraud.groupKey).not.toBe(credit.groupKey);
    expect(fraud.groupLabels).toEqual({ alertname: "InputViolation", model: "fraud" });
  });

  it("leaves a group_by label the alert lacks out of its group labels, in a group of its own", () => {
    const { model: _model, ...withoutModel } = labels;
    const group = only(groupsFor(config, acme(withoutModel)));
    expect(group.groupLabels).toEqual({ alertname: "InputViolation" });
    expect(group.gid).not.toBe(only(groupsFor(config, acme(labels))).gid);
  });

  it("puts every alert of a tenant and route into one group when group_by is not set", () => {
    const ungrouped = parse("route: {receiver: oncall}\nreceivers: [{name: oncall}]");
    const a = only(groupsFor(ungrouped, acme(labels)));
    const b = only(groupsFor(ungrouped, acme({ alertname: "Drift", model: "fraud" })));
    // Without '...' the fingerprint plays no part: a second alert with equal labels joins the group.
    expect(only(groupsFor(ungrouped, acme(labels, "fp-2"))).gid).toBe(a.gid);
    expect(b).toEqual(a);
    expect(a.groupLabels).toEqual({});
  });

  it("with '...' makes one group per label set", () => {
    const risk = { ...labels, team: "risk" };
    const group = only(groupsFor(config, acme(risk)));
    expect(group.receiver).toBe("chat");
    // Argus alerts are identified by fingerprint, not labels: two alerts with equal labels stay apart.
    expect(only(groupsFor(config, acme(risk, "fp-2"))).gid).not.toBe(group.gid);
    expect(only(groupsFor(config, acme(risk, "fp-1"))).gid).toBe(group.gid);
    expect(group.groupLabels).toEqual(risk);

    const otherFeature = only(groupsFor(config, acme({ ...risk, feature: "income" })));
    expect(otherFeature.gid).not.toBe(group.gid);
    expect(otherFeature.groupKey).not.toBe(group.groupKey);

    // The same label set, listed in another order, is the same group.
    const reordered = Object.fromEntries(Object.entries(risk).reverse());
    expect(only(groupsFor(config, acme(reordered)))).toEqual(group);
  });
});

describe("groupsFor: continue", () => {
  it("puts an alert matched by several routes into one group on each", () => {
    const critical = { ...labels, severity: "critical", team: "risk" };
    const groups = groupsFor(config, acme(critical));

    expect(groups.map((group) => group.receiver)).toEqual(["pager", "chat"]);
    expect(new Set(groups.map((group) => group.gid)).size).toBe(2);
    expect(new Set(groups.map((group) => group.groupKey)).size).toBe(2);
    expect(new Set(groups.map((group) => group.routeKey)).size).toBe(2);
    const [pager, chat] = groups;
    expect(pager?.groupLabels).toEqual({ alertname: "InputViolation", model: "credit-risk" });
    expect(chat?.groupLabels).toEqual(critical);
    for (const group of groups) expect(group.tenant).toBe("acme");
  });

  it("keeps the groups of a route with continue apart from the root's for the same labels", () => {
    const [pager] = groupsFor(config, acme({ ...labels, severity: "critical" }));
    const root = only(groupsFor(config, acme(labels)));
    expect(pager?.receiver).toBe("pager");
    expect(pager?.groupLabels).toEqual(root.groupLabels);
    expect(pager?.gid).not.toBe(root.gid);
  });
});

describe("groupsFor: tenants never share a group", () => {
  it.each([
    ["the root route", labels],
    ["a route with '...'", { ...labels, team: "risk" }],
    ["routes with continue", { ...labels, severity: "critical", team: "risk" }],
  ])("same labels on %s, different tenants: different groups", (_route, alertLabels) => {
    const acmeGroups = groupsFor(config, { fingerprint: "fp-1", tenant: "acme", labels: alertLabels });
    const globexGroups = groupsFor(config, { fingerprint: "fp-1", tenant: "globex", labels: alertLabels });

    expect(globexGroups).toHaveLength(acmeGroups.length);
    acmeGroups.forEach((group, index) => {
      const other = globexGroups[index] as GroupRef;
      expect(other.gid).not.toBe(group.gid);
      expect(other.groupKey).not.toBe(group.groupKey);
      expect(other.groupLabels).toEqual(group.groupLabels);
      expect(group.tenant).toBe("acme");
      expect(other.tenant).toBe("globex");
      expect(group.groupKey.startsWith("acme/")).toBe(true);
      expect(other.groupKey.startsWith("globex/")).toBe(true);
    });
  });

  it("even when a tenant's name reads like another tenant's name plus a route key", () => {
    // Tenant names are free text. "acme" on the matcher-less child of team="a" and
    // 'acme/{}/{team="a"}' on the root would both read 'acme/{}/{team="a"}/{}:{...}' if the
    // tenant were joined to the route key without being delimited.
    const nested = parse(`
route:
  receiver: oncall
  group_by: [alertname]
  routes:
    - matchers: ['team="a"']
      routes:
        - receiver: pager
receivers: [{name: oncall}, {name: pager}]
`);
    const mine = only(
      groupsFor(nested, { fingerprint: "fp-1", tenant: "acme", labels: { alertname: "X", team: "a" } }),
    );
    const theirs = only(
      groupsFor(nested, {
        fingerprint: "fp-1",
        tenant: `acme/${nested.route.key}/{team="a"}`,
        labels: { alertname: "X" },
      }),
    );
    expect(mine.receiver).toBe("pager");
    expect(theirs.receiver).toBe("oncall");
    expect(theirs.groupKey).not.toBe(mine.groupKey);
    expect(theirs.gid).not.toBe(mine.gid);
  });
});

describe("gid and groupKey are stable", () => {
  it("are the same when the configuration is parsed again (another replica, a reload)", () => {
    const critical = { ...labels, severity: "critical", team: "risk" };
    expect(groupsFor(parse(routes), acme(critical))).toEqual(groupsFor(config, acme(critical)));
    expect(groupsFor(parse(routes), acme(labels))).toEqual(groupsFor(config, acme(labels)));
  });

  it("do not depend on the order of the alert's labels", () => {
    const reordered = Object.fromEntries(Object.entries(labels).reverse());
    expect(groupsFor(config, acme(reordered))).toEqual(groupsFor(config, acme(labels)));
  });

  it("survive a reload that adds a sibling route after the alert's route", () => {
    const extended = parse(
      routes.replace(
        "receivers:",
        `    - receiver: oncall
      matchers: ['team="fraud"']
receivers:`,
      ),
    );
    expect(extended.route.routes).toHaveLength(3);
    const critical = { ...labels, severity: "critical", team: "risk" };
    expect(groupsFor(extended, acme(critical))).toEqual(groupsFor(config, acme(critical)));
  });
});

describe("groupRef", () => {
  it("is what groupsFor gives for the route an alert matched", () => {
    expect(groupRef(config.route, acme(labels))).toEqual(only(groupsFor(config, acme(labels))));
    const chat = config.route.routes[1];
    if (!chat) throw new Error("no chat route");
    const risk = { ...labels, team: "risk" };
    expect(groupRef(chat, acme(risk))).toEqual(only(groupsFor(config, acme(risk))));
  });

  it("derives the gid from the group key alone", () => {
    const a = groupRef(config.route, acme(labels));
    const b = groupRef(config.route, acme({ ...labels, feature: "income" }));
    expect(b.groupKey).toBe(a.groupKey);
    expect(b.gid).toBe(a.gid);
    expect(a.gid).toMatch(gidPattern);
  });
});
