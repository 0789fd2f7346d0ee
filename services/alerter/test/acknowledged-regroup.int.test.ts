import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AcknowledgementStore } from "../src/adapters/acknowledgement-store.js";
import { GroupMembershipStore } from "../src/adapters/group-membership-store.js";
import { planAcknowledge } from "../src/domain/acknowledgement.js";
import { groupRef } from "../src/domain/grouping.js";
import { parseRoutingConfig } from "../src/domain/routing/config.js";
import { singleWebhookRoutingYaml } from "../src/domain/routing/default-config.js";
import { FakeClockAlerter } from "./fake-clock-alerter.js";
import { deliveredBodies, eventually, findingOf, signingSecret } from "./harness.js";

/** The routing the fake-clock alerter builds from its environment. */
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

describe("acknowledgements and groups (real Redis, fake clock)", () => {
  let alerter: FakeClockAlerter;
  const now = Date.now() - 3_600_000;

  beforeAll(async () => {
    alerter = await FakeClockAlerter.start(inject("redisUrl"), now);
  });

  afterAll(async () => {
    await alerter?.stop();
  });

  it("tell a group an alert joins on a reload that it was acknowledged", async () => {
    const labels = { alertname: "Drift", model: "regrouped" };
    await alerter.consume([findingOf("f-1", "fp-regrouped", labels, { observedAt: new Date(now) })]);
    await eventually(
      () => deliveredBodies(alerter.receiver),
      (delivered) => delivered.length >= 1,
      10_000,
    );
    const stored = await alerter.store.getAlert("fp-regrouped");
    if (!stored) throw new Error("no alert");

    // Acknowledged while its group is busy elsewhere (no group woken), then regrouped by a reload
    // onto another route: that group has never heard of an acknowledgement.
    const acks = new AcknowledgementStore(alerter.redis, alerter.store);
    await acks.write(
      "fp-regrouped",
      planAcknowledge(stored.alert, "oncall@acme", "mine", new Date(now)),
      [],
      now,
    );
    const clientRoute = routing.route.routes.find((route) => route.groupBy !== "all");
    if (!clientRoute) throw new Error("no grouping route");
    const group = groupRef(clientRoute, stored.alert);
    await new GroupMembershipStore(alerter.redis, alerter.store).join(
      [{ group, fingerprint: "fp-regrouped" }],
      now,
    );
    await alerter.advanceTo(now);

    const delivered = await eventually(
      () => deliveredBodies(alerter.receiver),
      (all) => all.length >= 2,
      10_000,
    );
    expect(delivered[1]?.body.data.groupKey).toBe(group.groupKey);
    expect(delivered[1]?.body.data.alerts).toEqual([
      expect.objectContaining({ fingerprint: "fp-regrouped", acknowledged: true }),
    ]);
  });
});
