import {
  type AcknowledgeRequest,
  type AcknowledgeResponse,
  AlertState,
  type CreateSilenceRequest,
  type CreateSilenceResponse,
  type ExpireSilenceRequest,
  type ExpireSilenceResponse,
  type GetAlertRequest,
  type GetAlertResponse,
  type ListSilencesRequest,
  type ListSilencesResponse,
  type ResolveRequest,
  type ResolveResponse,
  SilenceState,
  type UnacknowledgeRequest,
  type UnacknowledgeResponse,
} from "@argus/proto";
import { rejection } from "@argus/testkit";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type AlerterHarness,
  type ArgusBody,
  deliveredBodies,
  eventually,
  findingOf,
  signingSecret,
  startAlerterHarness,
} from "./harness.js";

// Alertmanager's timers, scaled down so that a repeat comes within seconds.
const groupWait = 300;
const groupInterval = 1_500;
const repeatInterval = 3_000;
/** For the one group acknowledged before its first notification. */
const longGroupWait = 3_000;
/** Delivery slack on top of a timer: the flusher's poll, the outbox, HTTP. */
const slack = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Delivery = { id: string; at: number; body: ArgusBody };

describe("silences, inhibition, acknowledgement and resolution by hand, as a receiver sees them", () => {
  let h: AlerterHarness;

  beforeAll(async () => {
    h = await startAlerterHarness(
      { kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") },
      {
        receivers: 1,
        yaml: ([url]) => `
route:
  receiver: oncall
  group_by: [model, severity]
  group_wait: ${groupWait}ms
  group_interval: ${groupInterval}ms
  repeat_interval: ${repeatInterval}ms
  routes:
    - matchers: ['model="ack-wait"']
      group_wait: ${longGroupWait}ms
receivers:
  - name: oncall
    webhook_configs:
      - url: ${url}
        payload: argus
        signing_secrets: ["${signingSecret}"]
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [model]
`,
      },
    );
  });

  afterAll(async () => {
    await h?.stop();
  });

  /** Notifications of tenant acme's groups of `model` (every severity), in arrival order. */
  const deliveriesOf = (model: string): Delivery[] => {
    const [receiver] = h.receivers;
    if (!receiver) throw new Error("no receiver");
    return deliveredBodies(receiver).filter(
      (d) => d.body.data.groupKey.startsWith("acme/") && d.body.data.groupLabels.model === model,
    );
  };
  const fingerprintsOf = (d: Delivery) => d.body.data.alerts.map((a) => a.fingerprint).sort();
  const waitForDeliveries = (model: string, count: number, timeoutMs: number) =>
    eventually(
      () => deliveriesOf(model),
      (d) => d.length >= count,
      timeoutMs,
      (d) => `${count} notifications for model ${model}, have ${JSON.stringify(d.map((x) => x.body.data))}`,
    );
  const labels = (model: string, severity: string) => ({ alertname: "Drift", model, severity });
  // The generated client's methods are overloaded, so their request and response types are spelled out.
  const api = {
    getAlert: (req: GetAlertRequest, token: string) =>
      h.call<GetAlertRequest, GetAlertResponse>(h.client.getAlert, req, token),
    acknowledge: (req: AcknowledgeRequest, token: string) =>
      h.call<AcknowledgeRequest, AcknowledgeResponse>(h.client.acknowledge, req, token),
    unacknowledge: (req: UnacknowledgeRequest, token: string) =>
      h.call<UnacknowledgeRequest, UnacknowledgeResponse>(h.client.unacknowledge, req, token),
    resolve: (req: ResolveRequest, token: string) =>
      h.call<ResolveRequest, ResolveResponse>(h.client.resolve, req, token),
    createSilence: (req: CreateSilenceRequest, token: string) =>
      h.call<CreateSilenceRequest, CreateSilenceResponse>(h.client.createSilence, req, token),
    listSilences: (req: ListSilencesRequest, token: string) =>
      h.call<ListSilencesRequest, ListSilencesResponse>(h.client.listSilences, req, token),
    expireSilence: (req: ExpireSilenceRequest, token: string) =>
      h.call<ExpireSilenceRequest, ExpireSilenceResponse>(h.client.expireSilence, req, token),
  };
  const getAlert = (fingerprint: string) => api.getAlert({ fingerprint }, h.acme.viewer.token);

  it("a silence mutes matching alerts only, is listed with its creator, and once expired lets them notify", async () => {
    const silenced = "sil-muted";
    const open = "sil-open";
    const created = await api.createSilence(
      {
        matchers: [`model="${silenced}"`],
        startsAt: undefined,
        endsAt: new Date(Date.now() + 3_600_000),
        comment: "maintenance of the feature store",
      },
      h.acme.operator.token,
    );
    const id = created.silence?.id ?? "";
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.silence?.state).toBe(SilenceState.SILENCE_STATE_ACTIVE);
    // Another tenant's silence on the other model must not mute acme's alert there.
    const foreignSilence = await api.createSilence(
      {
        matchers: [`model="${open}"`],
        startsAt: undefined,
        endsAt: new Date(Date.now() + 3_600_000),
        comment: "globex's own maintenance",
      },
      h.globex.operator.token,
    );
    const foreignId = foreignSilence.silence?.id ?? "";

    await h.publish(
      findingOf("s-1", "sil-muted-age", labels(silenced, "warning")),
      findingOf("s-2", "sil-open-age", labels(open, "warning")),
    );
    const [openNotice] = await waitForDeliveries(open, 1, 15_000);
    expect(fingerprintsOf(openNotice as Delivery)).toEqual(["sil-open-age"]);
    // The muted alert is firing (the alerter has it) but its group stays quiet for more than a
    // group_interval after the unmuted group was notified.
    const muted = await getAlert("sil-muted-age");
    expect(muted.alert?.state).toBe(AlertState.ALERT_STATE_FIRING);
    await sleep(groupInterval + slack);
    expect(deliveriesOf(silenced)).toEqual([]);

    // Listed, active, with who created it; invisible to and unexpirable by another tenant.
    const listed = await api.listSilences(
      { state: SilenceState.SILENCE_STATE_UNSPECIFIED },
      h.acme.viewer.token,
    );
    // Only acme's own silence: globex's is not listed.
    expect(listed.silences).toEqual([
      expect.objectContaining({
        id,
        matchers: [`model="${silenced}"`],
        createdBy: "operator@acme",
        comment: "maintenance of the feature store",
        state: SilenceState.SILENCE_STATE_ACTIVE,
      }),
    ]);
    const foreignList = await api.listSilences(
      { state: SilenceState.SILENCE_STATE_UNSPECIFIED },
      h.globex.viewer.token,
    );
    expect(foreignList.silences.map((s) => s.id)).toEqual([foreignId]);
    const foreignExpire = await rejection(api.expireSilence({ id }, h.globex.operator.token));
    expect(foreignExpire.code).toBe(status.NOT_FOUND);
    const stillActive = await api.listSilences(
      { state: SilenceState.SILENCE_STATE_ACTIVE },
      h.acme.viewer.token,
    );
    expect(stillActive.silences.map((s) => s.id)).toEqual([id]);
    expect(deliveriesOf(silenced)).toEqual([]);

    // Expired by its tenant: the muted alert goes out at the group's next flush.
    const expiredAt = Date.now();
    const expired = await api.expireSilence({ id }, h.acme.operator.token);
    expect(expired.silence?.state).toBe(SilenceState.SILENCE_STATE_EXPIRED);
    const [mutedNotice] = await waitForDeliveries(silenced, 1, groupInterval + slack * 3);
    expect(fingerprintsOf(mutedNotice as Delivery)).toEqual(["sil-muted-age"]);
    expect(mutedNotice?.body.data.reason).toBe("new");
    expect((mutedNotice?.at ?? 0) - expiredAt).toBeLessThan(groupInterval + slack);
    const afterExpiry = await api.listSilences(
      { state: SilenceState.SILENCE_STATE_UNSPECIFIED },
      h.acme.viewer.token,
    );
    expect(afterExpiry.silences.map((s) => [s.id, s.state])).toEqual([
      [id, SilenceState.SILENCE_STATE_EXPIRED],
    ]);
  });

  it("refuses a silence that would mute everything, and a viewer's silence", async () => {
    const request = {
      matchers: ['model=~".*"'],
      startsAt: undefined,
      endsAt: new Date(Date.now() + 3_600_000),
      comment: "too broad",
    };
    const tooBroad = await rejection(api.createSilence(request, h.acme.operator.token));
    expect(tooBroad.code).toBe(status.INVALID_ARGUMENT);
    expect(tooBroad.details).toContain("matchers");

    const byViewer = await rejection(
      api.createSilence({ ...request, matchers: ['model="sil-viewer"'] }, h.acme.viewer.token),
    );
    expect(byViewer.code).toBe(status.PERMISSION_DENIED);

    // Neither refusal left a silence behind.
    const listed = await api.listSilences({ state: SilenceState.SILENCE_STATE_ACTIVE }, h.acme.viewer.token);
    expect(listed.silences).toEqual([]);
  });

  it("a critical alert inhibits warnings on the same model only, until it resolves", async () => {
    const inhibited = "inh-x";
    const other = "inh-y";
    // The sources fire first, so they are known when the warnings' groups flush: acme's critical
    // on X, and another tenant's critical on Y, which must not inhibit acme's warning on Y.
    await h.publish(
      findingOf("i-1", "inh-x-crit", labels(inhibited, "critical")),
      findingOf("i-0", "globex-inh-y-crit", labels(other, "critical"), { tenant: "globex" }),
    );
    await eventually(
      () => getAlert("inh-x-crit").catch(() => null),
      (r) => r?.alert?.state === AlertState.ALERT_STATE_FIRING,
      15_000,
    );
    await eventually(
      () => api.getAlert({ fingerprint: "globex-inh-y-crit" }, h.globex.viewer.token).catch(() => null),
      (r) => r?.alert?.state === AlertState.ALERT_STATE_FIRING,
      15_000,
    );
    await h.publish(
      findingOf("i-2", "inh-x-warn", labels(inhibited, "warning")),
      findingOf("i-3", "inh-y-warn", labels(other, "warning")),
    );

    const [otherNotice] = await waitForDeliveries(other, 1, 15_000);
    expect(fingerprintsOf(otherNotice as Delivery)).toEqual(["inh-y-warn"]);
    // Past a group_interval more: model X has been told of its critical alert only.
    await sleep(groupInterval + slack);
    const whileInhibited = deliveriesOf(inhibited);
    expect(whileInhibited.length).toBeGreaterThanOrEqual(1);
    expect(whileInhibited.flatMap(fingerprintsOf)).not.toContain("inh-x-warn");
    expect(whileInhibited.flatMap(fingerprintsOf)).toContain("inh-x-crit");

    // The critical alert resolves: the warning is no longer inhibited and goes out.
    const before = whileInhibited.length;
    await h.publish(findingOf("i-4", "inh-x-crit", labels(inhibited, "critical"), { resolved: true }));
    const released = await eventually(
      () => deliveriesOf(inhibited).slice(before),
      (d) => d.some((x) => fingerprintsOf(x).includes("inh-x-warn")),
      groupInterval * 2 + slack * 3,
      (d) => JSON.stringify(d.map((x) => x.body.data)),
    );
    const warningNotice = released.find((x) => fingerprintsOf(x).includes("inh-x-warn"));
    expect(warningNotice?.body.data.groupLabels).toEqual({ model: inhibited, severity: "warning" });
    expect(warningNotice?.body.data.alerts).toEqual([
      expect.objectContaining({ fingerprint: "inh-x-warn", status: "firing" }),
    ]);
    expect(warningNotice?.body.data.reason).toBe("new");
  });

  it("acknowledging stops repeats and tells the receiver; unacknowledging resumes them", async () => {
    const model = "ack-m";
    const fingerprint = "ack-m-age";
    await h.publish(findingOf("a-1", fingerprint, labels(model, "warning")));

    // Unacknowledged, the group repeats.
    const [first, repeat] = await waitForDeliveries(model, 2, 15_000);
    expect(first?.body.data.reason).toBe("new");
    expect(first?.body.data.alerts).toEqual([expect.objectContaining({ fingerprint, acknowledged: false })]);
    expect(repeat?.body.data.reason).toBe("repeat");
    expect((repeat?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(repeatInterval - 100);

    // Refusals first: they leave the alert unacknowledged.
    const byViewer = await rejection(api.acknowledge({ fingerprint, note: "mine" }, h.acme.viewer.token));
    expect(byViewer.code).toBe(status.PERMISSION_DENIED);
    const foreign = await rejection(api.acknowledge({ fingerprint, note: "mine" }, h.globex.operator.token));
    expect(foreign.code).toBe(status.NOT_FOUND);
    expect((await getAlert(fingerprint)).alert?.acknowledgement).toBeUndefined();

    const note = "looking into the feature pipeline";
    const beforeAck = deliveriesOf(model).length;
    const ackedAt = Date.now();
    const acked = await api.acknowledge({ fingerprint, note }, h.acme.operator.token);
    expect(acked.alert?.acknowledgement).toMatchObject({ by: "operator@acme", note });

    // One notification tells the receiver at once, then silence for more than two repeat intervals.
    const [ackNotice] = (await waitForDeliveries(model, beforeAck + 1, groupInterval + slack * 3)).slice(
      beforeAck,
    );
    expect(ackNotice?.body.data.reason).toBe("acknowledged");
    expect(ackNotice?.body.data.alerts).toEqual([
      expect.objectContaining({ fingerprint, acknowledged: true }),
    ]);
    // The repeat was the group's regular flush just before the acknowledgement, so the next regular
    // flush is a group_interval away: arriving well before it means the group was woken for it.
    expect((ackNotice?.at ?? 0) - (repeat?.at ?? 0)).toBeLessThan(groupInterval / 2);
    expect(ackNotice?.at ?? 0).toBeGreaterThanOrEqual(ackedAt);
    await sleep(repeatInterval * 2 + groupInterval);
    expect(
      deliveriesOf(model)
        .slice(beforeAck)
        .map((d) => d.body.data.reason),
    ).toEqual(["acknowledged"]);

    const view = await getAlert(fingerprint);
    expect(view.alert?.state).toBe(AlertState.ALERT_STATE_FIRING);
    expect(view.alert?.acknowledgement).toMatchObject({ by: "operator@acme", note });
    expect(view.history).toContainEqual(
      expect.objectContaining({ action: "acknowledged", actor: "operator@acme", detail: note }),
    );

    // Unacknowledged: the receiver hears of it at once, then repeats resume.
    // Counted before the call: the notice may arrive before the call returns.
    const beforeUnack = deliveriesOf(model).length;
    const unackedAt = Date.now();
    const unacked = await api.unacknowledge({ fingerprint }, h.acme.operator.token);
    expect(unacked.alert?.acknowledgement).toBeUndefined();
    const [unackNotice, resumed] = (
      await waitForDeliveries(model, beforeUnack + 2, repeatInterval + groupInterval + slack * 3)
    ).slice(beforeUnack);
    expect(unackNotice?.body.data.reason).toBe("unacknowledged");
    expect(unackNotice?.body.data.alerts).toEqual([
      expect.objectContaining({ fingerprint, acknowledged: false }),
    ]);
    expect((unackNotice?.at ?? 0) - unackedAt).toBeLessThan(groupInterval + slack);
    expect(resumed?.body.data.reason).toBe("repeat");
    expect((resumed?.at ?? 0) - (unackNotice?.at ?? 0)).toBeGreaterThanOrEqual(repeatInterval - 100);
    const afterUnack = await getAlert(fingerprint);
    expect(afterUnack.alert?.acknowledgement).toBeUndefined();
    expect(afterUnack.history).toContainEqual(
      expect.objectContaining({ action: "unacknowledged", actor: "operator@acme" }),
    );

    // A resolved alert cannot be acknowledged.
    await api.resolve({ fingerprint, note: "done" }, h.acme.operator.token);
    const onResolved = await rejection(api.acknowledge({ fingerprint, note: "late" }, h.acme.operator.token));
    expect(onResolved.code).toBe(status.FAILED_PRECONDITION);
    expect((await getAlert(fingerprint)).alert?.acknowledgement).toBeUndefined();
  });

  it("acknowledging during group_wait does not cut group_wait short; the first notification shows it", async () => {
    const model = "ack-wait";
    const fingerprint = "ack-wait-age";
    const publishedAt = Date.now();
    await h.publish(findingOf("w-1", fingerprint, labels(model, "warning")));
    await eventually(
      () => getAlert(fingerprint).catch(() => null),
      (r) => r?.alert?.state === AlertState.ALERT_STATE_FIRING,
      15_000,
    );
    await api.acknowledge({ fingerprint, note: "seen it on the dashboard" }, h.acme.operator.token);

    // group_wait still batches the group's first notification, which says the alert is acknowledged.
    const [first] = await waitForDeliveries(model, 1, longGroupWait + slack * 5);
    expect((first?.at ?? 0) - publishedAt).toBeGreaterThanOrEqual(longGroupWait - 100);
    expect(first?.body.data.reason).toBe("new");
    expect(first?.body.data.alerts).toEqual([expect.objectContaining({ fingerprint, acknowledged: true })]);
    // Acknowledged from the start: no repeat, and no separate "acknowledged" notice.
    await sleep(repeatInterval + groupInterval);
    expect(deliveriesOf(model)).toHaveLength(1);
  });

  it("resolving by hand records who did it and notifies the resolution at the next group_interval", async () => {
    const model = "res-m";
    const fingerprint = "res-m-age";
    await h.publish(findingOf("r-1", fingerprint, labels(model, "warning")));
    const [firing] = await waitForDeliveries(model, 1, 15_000);
    expect(firing?.body.data.reason).toBe("new");

    const byViewer = await rejection(api.resolve({ fingerprint, note: "" }, h.acme.viewer.token));
    expect(byViewer.code).toBe(status.PERMISSION_DENIED);
    const foreign = await rejection(api.resolve({ fingerprint, note: "" }, h.globex.operator.token));
    expect(foreign.code).toBe(status.NOT_FOUND);
    expect((await getAlert(fingerprint)).alert?.state).toBe(AlertState.ALERT_STATE_FIRING);

    const resolvedAt = Date.now();
    const resolved = await api.resolve({ fingerprint, note: "false positive" }, h.acme.operator.token);
    expect(resolved.alert?.state).toBe(AlertState.ALERT_STATE_RESOLVED);
    expect(resolved.alert?.resolvedBy).toBe("operator@acme");
    expect(resolved.alert?.endsAt).toBeDefined();

    const view = await getAlert(fingerprint);
    expect(view.alert?.state).toBe(AlertState.ALERT_STATE_RESOLVED);
    expect(view.alert?.resolvedBy).toBe("operator@acme");
    expect(view.history).toContainEqual(
      expect.objectContaining({ action: "resolved", actor: "operator@acme", detail: "false positive" }),
    );

    const [, notice] = await waitForDeliveries(model, 2, groupInterval + slack * 3);
    expect(notice?.body.type).toBe("alert.resolved");
    expect(notice?.body.data.reason).toBe("all-resolved");
    expect(notice?.body.data.alerts).toEqual([
      expect.objectContaining({ fingerprint, status: "resolved", resolvedBy: "operator@acme" }),
    ]);
    // At the group's next tick: not before group_interval since the last notification, nor much later.
    expect((notice?.at ?? 0) - (firing?.at ?? 0)).toBeGreaterThanOrEqual(groupInterval - 100);
    expect((notice?.at ?? 0) - resolvedAt).toBeLessThan(groupInterval + slack);

    // Resolving again is refused; the group has ended, so nothing more arrives.
    const again = await rejection(api.resolve({ fingerprint, note: "" }, h.acme.operator.token));
    expect(again.code).toBe(status.FAILED_PRECONDITION);
    await sleep(groupInterval + slack);
    expect(deliveriesOf(model)).toHaveLength(2);
  });
});
