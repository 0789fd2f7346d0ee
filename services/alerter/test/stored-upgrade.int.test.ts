import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AcknowledgementStore } from "../src/adapters/acknowledgement-store.js";
import { ErasureStore } from "../src/adapters/erasure-store.js";
import { decodeGroup } from "../src/adapters/stored/group-layout.js";
import { planAcknowledge } from "../src/domain/acknowledgement.js";
import { type AlertRecord, FindingKind, Severity } from "../src/domain/alert.js";
import { scrubGroup } from "../src/domain/erasure.js";
import { type GroupRef, groupsFor } from "../src/domain/grouping.js";
import { notificationId } from "../src/domain/notification.js";
import { parseRoutingConfig } from "../src/domain/routing/config.js";
import { singleWebhookRoutingYaml } from "../src/domain/routing/default-config.js";
import { FakeClockAlerter } from "./fake-clock-alerter.js";
import { deliveredBodies, eventually, findingOf, signingSecret } from "./harness.js";

/** The routing the fake-clock alerter builds from its environment: groups are what it computes. */
const routing = parseRoutingConfig(
  singleWebhookRoutingYaml({
    url: "https://unused.example.com",
    signingSecret,
    groupWait: "0s",
    groupInterval: "30s",
    repeatInterval: "4h",
    clientGroupWait: "30s",
  }),
  () => "",
);

const minute = 60_000;

/** An alert as the alerter stored it before decision 33 (sealing off): every field by name, no episode. */
function legacyAlert(fingerprint: string, startsAt: number): AlertRecord {
  const at = new Date(startsAt).toISOString();
  return {
    fingerprint,
    tenant: "acme",
    modelId: fingerprint,
    kind: FindingKind.FINDING_KIND_DRIFT,
    severity: Severity.SEVERITY_WARNING,
    labels: { alertname: "Drift", model: fingerprint },
    summary: `${fingerprint} drifted`,
    evidence: { psi: "0.4" },
    state: "firing",
    startsAt: at,
    updatedAt: at,
    findingCount: 3,
    lastFindingId: `${fingerprint}-f3`,
    notificationSeq: 1,
  } as unknown as AlertRecord;
}

describe("records stored before decision 33, on real Redis (fake clock)", () => {
  let alerter: FakeClockAlerter;
  // An hour ago: the run stays in the past, and the outbox signs with the real clock.
  const now = Date.now() - 3_600_000;
  const key = (...parts: string[]) => alerter.store.key(...parts);

  /** Stores an alert, its group (meta, members set, log hash) and a history line as the old layout did. */
  async function storeLegacy(alert: AlertRecord, sequence: number, regularAt: number): Promise<GroupRef> {
    const [group] = groupsFor(routing, alert) as [GroupRef];
    const { fingerprint } = alert;
    const entry = {
      firing: [fingerprint],
      resolved: [],
      acknowledged: false,
      sentAt: now - 5 * minute,
      sequence,
    };
    await alerter.redis
      .multi()
      .set(key("alert", fingerprint), JSON.stringify(alert))
      .zadd(key("alerts"), Date.parse(alert.updatedAt), fingerprint)
      .zadd(key("firing"), Date.parse(alert.updatedAt), fingerprint)
      .lpush(
        key("history", fingerprint),
        JSON.stringify({
          at: alert.startsAt,
          action: "firing",
          actor: "detector:drift",
          detail: alert.summary,
        }),
      )
      .hset(key("group", group.gid), {
        groupKey: group.groupKey,
        routeKey: group.routeKey,
        receiver: group.receiver,
        tenant: group.tenant,
        labels: JSON.stringify(group.groupLabels),
        regularAt: String(regularAt),
        flushedAt: String(now - 5 * minute),
      })
      .sadd(key("group", group.gid, "alerts"), fingerprint)
      .hset(key("group", group.gid, "nflog"), "default/webhook/0", JSON.stringify(entry))
      .zadd(key("groups", "due"), regularAt, group.gid)
      .exec();
    return group;
  }

  beforeAll(async () => {
    alerter = await FakeClockAlerter.start(inject("redisUrl"), now);
  });

  afterAll(async () => {
    await alerter?.stop();
  });

  it("resolve an old alert of an old group: its numbering goes on, the group ends in the new layout", async () => {
    const alert = legacyAlert("fp-old", now - 10 * minute);
    // Due a minute from now: the group is flushed after the resolution joined it, not before.
    const group = await storeLegacy(alert, 4, now + minute);

    await alerter.consume([
      findingOf("r-1", "fp-old", alert.labels, { resolved: true, observedAt: new Date(now - minute) }),
    ]);
    await alerter.advanceTo(now + minute);

    const [resolved] = await eventually(
      () => deliveredBodies(alerter.receiver),
      (delivered) => delivered.length >= 1,
      10_000,
    );
    // The old log said 4 notifications went out: this is the fifth, with the id that number makes.
    expect(resolved?.id).toBe(notificationId(group.groupKey, "default", 0, 5));
    expect(resolved?.body.data.reason).toBe("all-resolved");
    const [told] = (resolved?.body.data.alerts ?? []) as { fingerprint: string; summary?: string }[];
    expect(told).toMatchObject({ fingerprint: "fp-old", summary: "fp-old drifted", status: "resolved" });

    // Ended: its hash keeps the numbering only, and the old keys are gone.
    expect(
      await alerter.redis.exists(key("group", group.gid, "alerts"), key("group", group.gid, "nflog")),
    ).toBe(0);
    const ended = decodeGroup(group.gid, await alerter.redis.hgetall(key("group", group.gid)));
    expect(ended).toMatchObject({ groupKey: undefined, members: [], legacy: false });
    expect(ended.log.get("default/webhook/0")).toMatchObject({ sequence: 5, firing: [], resolved: [] });
    expect(await alerter.redis.pttl(key("group", group.gid))).toBeGreaterThan(0);

    // The old alert and history lines read, beside the new ones.
    const stored = await alerter.store.getAlert("fp-old");
    expect(stored?.alert).toMatchObject({ state: "resolved", findingCount: 3, summary: "fp-old drifted" });
    expect(stored?.alert.episode.firstEventIds).toEqual([]);
    const history = await alerter.store.history("fp-old");
    expect(history.map((line) => [line.action, line.actor])).toEqual([
      ["notified", "alerter"],
      ["resolved", "detector:test"],
      ["firing", "detector:drift"],
    ]);
    expect(history.at(-1)?.detail).toBe("fp-old drifted");
  });

  it("acknowledge an alert of an old group: it wakes, tells the receiver, and is written in the new layout", async () => {
    const alert = legacyAlert("fp-acked", now - 10 * minute);
    const regularAt = now + 10 * minute;
    const group = await storeLegacy(alert, 2, regularAt);
    const before = deliveredBodies(alerter.receiver).length;

    // The group flushed before (it has a regularAt, by its old name): acknowledging makes it due now.
    const acks = new AcknowledgementStore(alerter.redis, alerter.store);
    await acks.write(
      "fp-acked",
      planAcknowledge(alert, "oncall@acme", "on it", new Date(now)),
      [group.gid],
      now,
    );
    expect(Number(await alerter.redis.zscore(key("groups", "due"), group.gid))).toBe(now);
    await alerter.advanceTo(now);

    const delivered = await eventually(
      () => deliveredBodies(alerter.receiver),
      (all) => all.length > before,
      10_000,
    );
    const acknowledged = delivered[before];
    expect(acknowledged?.id).toBe(notificationId(group.groupKey, "default", 0, 3));
    expect(acknowledged?.body.data.reason).toBe("acknowledged");

    expect(
      await alerter.redis.exists(key("group", group.gid, "alerts"), key("group", group.gid, "nflog")),
    ).toBe(0);
    const hash = await alerter.redis.hgetall(key("group", group.gid));
    expect(
      Object.keys(hash)
        .filter((field) => !field.includes(":"))
        .sort(),
    ).toEqual(["a", "c", "f", "l", "t"]);
    const migrated = decodeGroup(group.gid, hash);
    expect(migrated).toMatchObject({
      groupKey: group.groupKey,
      tenant: "acme",
      groupLabels: group.groupLabels,
      members: ["fp-acked"],
      regularAt,
      legacy: false,
    });
    expect(migrated.log.get("default/webhook/0")).toMatchObject({ sequence: 3, acknowledged: true });
  });

  it("erase one of two alerts of an old group: the other stays, the group is written in the new layout", async () => {
    const alert = legacyAlert("fp-shared", now - 10 * minute);
    const group = await storeLegacy(alert, 6, now + 10 * minute);
    // An old group of two (a route that groups): a second member and a log naming both.
    await alerter.redis
      .multi()
      .sadd(key("group", group.gid, "alerts"), "fp-erased")
      .hset(
        key("group", group.gid, "nflog"),
        "default/webhook/0",
        JSON.stringify({
          firing: ["fp-erased", "fp-shared"],
          resolved: [],
          acknowledged: false,
          sentAt: now,
          sequence: 6,
        }),
      )
      .exec();

    const erasures = new ErasureStore(alerter.redis, alerter.store, 1_000);
    expect(await erasures.groupsHolding(["fp-erased"])).toContain(group.gid);
    const removed = await erasures.scrubGroup(group.gid, (members, log) =>
      scrubGroup(members, log, new Set(["fp-erased"])),
    );

    expect(removed).toBe(0);
    expect(
      await alerter.redis.exists(key("group", group.gid, "alerts"), key("group", group.gid, "nflog")),
    ).toBe(0);
    const scrubbed = decodeGroup(group.gid, await alerter.redis.hgetall(key("group", group.gid)));
    expect(scrubbed).toMatchObject({ groupKey: group.groupKey, members: ["fp-shared"], legacy: false });
    expect(scrubbed.log.get("default/webhook/0")).toMatchObject({ sequence: 6, firing: ["fp-shared"] });
    expect(await erasures.groupsHolding(["fp-erased"])).not.toContain(group.gid);
  });

  it("deliver an old outbox item with its id and body", async () => {
    const id = "msg_0123456789abcdefghijklmnopqrstuv";
    const body = JSON.stringify({ type: "alert.firing", data: { reason: "new", alerts: [] } });
    const before = deliveredBodies(alerter.receiver).length;
    await alerter.redis
      .multi()
      .set(
        key("outbox", "item", id),
        JSON.stringify({
          id,
          queue: "old-queue.0",
          groupKey: "acme/{}:{}",
          gid: "old-gid",
          tenant: "acme",
          receiver: "default",
          integration: 0,
          integrationType: "webhook",
          sequence: 1,
          reason: "new",
          fingerprints: ["fp-old"],
          createdAt: new Date().toISOString(),
          body,
          attempts: 0,
        }),
      )
      .zadd(key("outbox", "queue", "old-queue.0"), 1, id)
      .zadd(key("outbox", "due"), Date.now(), id)
      .exec();
    alerter.wakeOutbox();

    const delivered = await eventually(
      () => deliveredBodies(alerter.receiver),
      (all) => all.length > before,
      10_000,
    );
    expect(delivered[before]).toMatchObject({ id, body: JSON.parse(body) });
    await eventually(
      () => alerter.redis.exists(key("outbox", "item", id)),
      (left) => left === 0,
      10_000,
    );
    expect((await alerter.store.history("fp-old"))[0]).toMatchObject({
      action: "notified",
      notificationId: id,
    });
  });
});
