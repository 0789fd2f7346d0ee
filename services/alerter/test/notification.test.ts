import { describe, expect, it } from "vitest";
import { integrationName, notificationId, queueId } from "../src/domain/notification.js";
import type {
  Integration,
  PagerDutyIntegration,
  SlackIntegration,
  WebhookIntegration,
} from "../src/domain/routing/config.js";

const webhookId = /^msg_[A-Za-z0-9_-]{16}$/;
const groupKey = 'acme/{}/{severity="critical"}:{alertname="InputViolation",model="credit-risk"}';
const gid = "i3u6GfHlodwFb4ek-tUmhi";

describe("notificationId (the webhook-id)", () => {
  it("is the same for the same group, receiver, integration and sequence: retries, replicas and replays send one id", () => {
    expect(notificationId(groupKey, "oncall", 0, 7)).toBe(notificationId(groupKey, "oncall", 0, 7));
  });

  it("differs between successive notifications of one group to one integration", () => {
    expect(notificationId(groupKey, "oncall", 0, 1)).not.toBe(notificationId(groupKey, "oncall", 0, 2));
  });

  it("differs between groups", () => {
    const otherGroup = 'acme/{}/{severity="critical"}:{alertname="InputViolation",model="fraud"}';
    expect(notificationId(groupKey, "oncall", 0, 1)).not.toBe(notificationId(otherGroup, "oncall", 0, 1));
  });

  it("differs between tenants' groups of the same route and labels", () => {
    expect(notificationId("acme/{}:{}", "oncall", 0, 1)).not.toBe(
      notificationId("globex/{}:{}", "oncall", 0, 1),
    );
  });

  it("differs between receivers of one group (continue: true routes)", () => {
    expect(notificationId(groupKey, "oncall", 0, 1)).not.toBe(notificationId(groupKey, "pager", 0, 1));
  });

  it("differs between the integrations of one receiver", () => {
    expect(notificationId(groupKey, "oncall", 0, 1)).not.toBe(notificationId(groupKey, "oncall", 1, 1));
  });

  it("cannot be confused by numbers that run into each other", () => {
    expect(notificationId(groupKey, "oncall", 1, 23)).not.toBe(notificationId(groupKey, "oncall", 12, 3));
    expect(notificationId(groupKey, "oncall1", 2, 3)).not.toBe(notificationId(groupKey, "oncall", 12, 3));
  });

  it("cannot be confused by a receiver name that holds the separator and a number", () => {
    expect(notificationId(groupKey, "a|1", 2, 3)).not.toBe(notificationId(groupKey, "a", 1, 23));
    expect(notificationId(groupKey, "a|1", 2, 3)).not.toBe(notificationId(groupKey, "a|12", 3, 0));
  });

  it("cannot be confused by a group key and receiver that trade the text around the separator", () => {
    // "g" + "|" + "a|1" and "g|a" + "|" + "1" are the same text: the parts must be delimited unambiguously.
    expect(notificationId("g", "a|1", 2, 3)).not.toBe(notificationId("g|a", "1", 2, 3));
    expect(notificationId(`${groupKey}|x`, "oncall", 0, 1)).not.toBe(
      notificationId(groupKey, "x|oncall", 0, 1),
    );
  });

  it("is URL-safe msg_ plus 16 characters (ids made before decision 33 had 32) for any input, and unique over many", () => {
    const groupKeys = [
      "",
      groupKey,
      'acme/{}:{path="/a b?c=d&e+f"}',
      'ünïcødé/{}:{名前="指纹"}',
      "x".repeat(10_000),
      ...Array.from({ length: 50 }, (_, i) => `acme/{}:{model="m-${i}"}`),
    ];
    const receivers = ["oncall", "", "with spaces / slashes + pluses = equals"];
    const ids = new Set<string>();
    for (const key of groupKeys) {
      for (const receiver of receivers) {
        for (const [integration, sequence] of [
          [0, 0],
          [0, 1],
          [3, 99],
          [1, 2 ** 31],
        ] as const) {
          const id = notificationId(key, receiver, integration, sequence);
          expect(id).toMatch(webhookId);
          ids.add(id);
        }
      }
    }
    expect(ids.size).toBe(groupKeys.length * receivers.length * 4);
  });
});

describe("queueId (one delivery queue per group and integration)", () => {
  it("is the same on every call for one group, receiver and integration (its notifications share it)", () => {
    expect(queueId(gid, "oncall", 0)).toBe(queueId(gid, "oncall", 0));
  });

  it("differs between groups, receivers and integrations", () => {
    const base = queueId(gid, "oncall", 0);
    const others = [
      queueId("VOJY3qi_tId0j-69aEOxXL", "oncall", 0),
      queueId(gid, "pager", 0),
      queueId(gid, "oncall", 1),
      queueId(gid, "oncall", 10),
    ];
    expect(new Set([base, ...others]).size).toBe(5);
  });

  it("cannot be confused by receiver names that hold its separator or look like an integration", () => {
    const ids = [
      queueId(gid, "a", 1),
      queueId(gid, "a.1", 1),
      queueId(gid, "a", 11),
      queueId(gid, "a1", 1),
      queueId(gid, "a.1", 0),
      queueId(gid, "a|1", 1),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("holds no raw receiver name (any text is allowed there) and keeps to key-safe characters", () => {
    const id = queueId(gid, 'on call: {team="risk"} / ünïcødé', 2);
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
});

describe("integrationName", () => {
  const webhook: WebhookIntegration = {
    type: "webhook",
    payload: "alertmanager",
    url: "https://hooks.example.com/oncall",
    signingSecrets: [],
    sendResolved: true,
    maxAlerts: 0,
  };
  const pagerDuty: PagerDutyIntegration = {
    type: "pagerduty",
    url: "https://events.pagerduty.com/v2/enqueue",
    routingKey: "R0123456789abcdef0123456789abcde",
    signingSecrets: [],
    sendResolved: true,
  };
  const slack: SlackIntegration = {
    type: "slack",
    url: "https://hooks.slack.com/services/T/B/X",
    sendResolved: false,
  };

  it("names the receiver, the integration type and its index", () => {
    expect(integrationName("oncall", webhook, 0)).toBe("oncall/webhook[0]");
    expect(integrationName("oncall", pagerDuty, 1)).toBe("oncall/pagerduty[1]");
    expect(integrationName("chat", slack, 2)).toBe("chat/slack[2]");
  });

  it("tells apart every integration of a receiver, never showing its URL or keys", () => {
    const integrations: Integration[] = [webhook, webhook, pagerDuty, slack];
    const names = integrations.map((integration, index) => integrationName("oncall", integration, index));
    expect(new Set(names).size).toBe(4);
    for (const name of names) {
      expect(name).not.toContain("https://");
      expect(name).not.toContain(pagerDuty.routingKey);
    }
  });
});
