import {
  type Alert,
  AlertState,
  type CreateSilenceRequest,
  type CreateSilenceResponse,
  type ExpireSilenceRequest,
  type ExpireSilenceResponse,
  type Finding,
  FindingKind,
  type ListAlertsRequest,
  type ListAlertsResponse,
  Severity,
} from "@argus/proto";
import { createLogger, createRedis, type Redis } from "@argus/runtime";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { decodeGroup } from "../src/adapters/stored/group-layout.js";
import { groupsFor } from "../src/domain/grouping.js";
import { parseRoutingConfig } from "../src/domain/routing/config.js";
import { singleWebhookRoutingYaml } from "../src/domain/routing/default-config.js";
import {
  type AlerterHarness,
  deliveredBodies,
  eventually,
  findingOf,
  signingSecret,
  startAlerterHarness,
} from "./harness.js";

/** The default routing as the alerter builds it: the groups of an alert, whatever the URL. */
const defaultRouting = parseRoutingConfig(
  singleWebhookRoutingYaml({
    url: "https://unused.example.com",
    signingSecret,
    groupWait: "0s",
    groupInterval: "1s",
    repeatInterval: "4h",
    clientGroupWait: "1s",
  }),
  () => "",
);

/** The Argus payload's view of an alert, with its episode in sum. */
interface DeliveredAlert {
  fingerprint: string;
  labels: Record<string, string>;
  findingCount: number;
  firstSeenAt: string;
  lastSeenAt: string;
  categories: string[];
  sampleEventIds: string[];
}

describe("alerts about clients under the default routing (real Kafka and Redis)", () => {
  let h: AlerterHarness;
  let redis: Redis;
  const key = (...parts: string[]) => [h.namespace, "alerter", ...parts].join(":");
  const start = Date.now();

  beforeAll(async () => {
    h = await startAlerterHarness(
      { kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") },
      // No routing file: ALERTER_WEBHOOK_URL to the receiver, with its timers scaled down.
      { receivers: 1, env: { ALERTER_GROUP_INTERVAL: "1s", ALERTER_CLIENT_GROUP_WAIT: "1s" } },
    );
    redis = createRedis(inject("redisUrl"), createLogger("alerter-client-alerts-test", "silent"));
  });

  afterAll(async () => {
    redis?.disconnect();
    await h?.stop();
  });

  /** Event `n` of `client`'s prompt-injection attack, as the text scanners report it. */
  const injection = (client: string, n: number): Finding =>
    findingOf(
      `pi-${client}-${n}`,
      `fp-prompt-injection-chat-${client}`,
      { alertname: "PromptInjection", kind: "prompt_injection", model: "chat", severity: "critical", client },
      {
        kind: FindingKind.FINDING_KIND_PROMPT_INJECTION,
        severity: Severity.SEVERITY_CRITICAL,
        subject: { feature: "prompt", clientId: client, source: "" },
        summary: `chat: input "prompt" from client ${client} blocked by heuristics`,
        evidence: {
          verdict: "block",
          categories: n % 2 === 0 ? "instruction_override" : "instruction_override,jailbreak_persona",
          event_id: `ev-${client}-${n}`,
        },
        sampleEventIds: [`ev-${client}-${n}`],
        observedAt: seenAt(n),
      },
    );
  const seenAt = (n: number) => new Date(start + n);
  const outlier = (n: number): Finding =>
    findingOf(
      `outlier-${n}`,
      "fp-outliers-credit-risk",
      { alertname: "InputOutliers", kind: "outlier", model: "credit-risk", severity: "info" },
      {
        kind: FindingKind.FINDING_KIND_OUTLIER,
        severity: Severity.SEVERITY_INFO,
        evidence: { event_id: `ev-benign-${n}` },
      },
    );
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  const listAlerts = async (): Promise<Alert[]> =>
    (
      await h.call<ListAlertsRequest, ListAlertsResponse>(
        h.client.listAlerts,
        { state: AlertState.ALERT_STATE_UNSPECIFIED, modelId: "", pageSize: 0, pageToken: "", matchers: [] },
        h.acme.viewer.token,
      )
    ).alerts;
  const publishInChunks = async (findings: Finding[]) => {
    for (let i = 0; i < findings.length; i += 250) await h.publish(...findings.slice(i, i + 250));
  };
  /** When `alert`'s notification group (default routing) was last flushed; 0 before its first flush. */
  const lastFlushOf = async (alert: Pick<Alert, "labels" | "fingerprint">): Promise<number> => {
    const [group] = groupsFor(defaultRouting, { tenant: "acme", ...alert });
    return decodeGroup(group?.gid ?? "none", await redis.hgetall(key("group", group?.gid ?? "none")))
      .flushedAt;
  };

  it("notifies once per attacking client, counting every event of its episode; outliers notify no one but are listed", async () => {
    // Notifications wait until every finding is in, so that what they count is known.
    const silence = await h.call<CreateSilenceRequest, CreateSilenceResponse>(
      h.client.createSilence,
      {
        matchers: ['alertname="PromptInjection"'],
        startsAt: undefined,
        endsAt: new Date(Date.now() + 3_600_000),
        comment: "hold the attack's notifications until all findings are consumed",
      },
      h.acme.operator.token,
    );

    // Client a's first 100 findings come twice (a detector replaying its input after a crash) before
    // its last one: replays must not count, and "last" means every earlier record was consumed.
    await publishInChunks([
      ...range(1, 699).map((n) => injection("c-a", n)),
      ...range(1, 299).map((n) => injection("c-b", n)),
      ...range(1, 3).map(outlier),
      ...range(1, 100).map((n) => injection("c-a", n)),
    ]);
    await h.publish(injection("c-a", 700), injection("c-b", 300));

    const consumed = await eventually(
      listAlerts,
      (alerts) =>
        alerts.length === 3 &&
        alerts.some((a) => a.lastFindingId === "pi-c-a-700") &&
        alerts.some((a) => a.lastFindingId === "pi-c-b-300") &&
        alerts.some((a) => a.kind === FindingKind.FINDING_KIND_OUTLIER && a.findingCount === 3),
      60_000,
      (alerts) => JSON.stringify(alerts.map((a) => [a.labels.alertname, a.findingCount, a.lastFindingId])),
    );
    const attackOf = (client: string) => consumed.find((alert) => alert.labels.client === client);
    expect(attackOf("c-a")).toMatchObject({ findingCount: 700, state: AlertState.ALERT_STATE_FIRING });
    expect(attackOf("c-b")).toMatchObject({ findingCount: 300 });
    expect(attackOf("c-a")?.sampleEventIds).toHaveLength(20);
    const outlierAlert = consumed.find((alert) => alert.kind === FindingKind.FINDING_KIND_OUTLIER);
    expect(outlierAlert).toMatchObject({
      severity: Severity.SEVERITY_INFO,
      state: AlertState.ALERT_STATE_FIRING,
      findingCount: 3,
    });

    await h.call<ExpireSilenceRequest, ExpireSilenceResponse>(
      h.client.expireSilence,
      { id: silence.silence?.id ?? "" },
      h.acme.operator.token,
    );
    const [receiver] = h.receivers;
    if (!receiver) throw new Error("no receiver");
    const deliveries = await eventually(
      () => deliveredBodies(receiver),
      (d) => d.length >= 2,
      30_000,
    );
    // Each client's group has been flushed again since its notification, and the outliers' group at
    // least once: anything more they had to say would have been sent by now.
    const lastDelivery = Math.max(...deliveries.map((d) => d.at));
    for (const client of ["c-a", "c-b"]) {
      const attack = attackOf(client);
      if (!attack) throw new Error(`no alert for ${client}`);
      await eventually(
        () => lastFlushOf(attack),
        (at) => at > lastDelivery,
        30_000,
      );
    }
    if (!outlierAlert) throw new Error("no outlier alert");
    await eventually(
      () => lastFlushOf(outlierAlert),
      (at) => at > 0,
      30_000,
    );
    // And whatever those flushes queued has been delivered.
    await eventually(
      () => redis.zcard(key("outbox", "due")),
      (pending) => pending === 0,
      30_000,
    );

    const notified = deliveredBodies(receiver);
    expect(notified.map((d) => d.body.data.groupLabels)).toEqual(
      expect.arrayContaining([
        { kind: "prompt_injection", model: "chat", client: "c-a" },
        { kind: "prompt_injection", model: "chat", client: "c-b" },
      ]),
    );
    expect(notified).toHaveLength(2);
    const notifiedAlert = (client: string) =>
      notified
        .flatMap((d) => d.body.data.alerts as unknown as DeliveredAlert[])
        .find((alert) => alert.labels.client === client);
    expect(notifiedAlert("c-a")).toMatchObject({
      findingCount: 700,
      firstSeenAt: seenAt(1).toISOString(),
      lastSeenAt: seenAt(700).toISOString(),
      categories: ["instruction_override", "jailbreak_persona"],
    });
    expect(notifiedAlert("c-a")?.sampleEventIds).toEqual([
      ...range(1, 10).map((n) => `ev-c-a-${n}`),
      ...range(691, 700).map((n) => `ev-c-a-${n}`),
    ]);
    expect(notifiedAlert("c-b")).toMatchObject({ findingCount: 300, lastSeenAt: seenAt(300).toISOString() });
    expect(JSON.stringify(notified)).not.toContain(outlierAlert.fingerprint);
  });
});
