import { createEvidenceSealer, plaintextEvidence, type Redis, sealFields } from "@argus/runtime";
import { seededUniform } from "@argus/stats";
import { testEvidenceKeys } from "@argus/testkit";
import { describe, expect, it } from "vitest";
import { AlertStore } from "../src/adapters/alert-store.js";
import { packBody, unpackBody } from "../src/adapters/body-packing.js";
import { tableV1 } from "../src/adapters/body-packing-tables.js";
import { sealedOfText, sealedToText } from "../src/adapters/stored/sealed-text.js";
import { FindingKind, Severity } from "../src/domain/alert.js";
import { episodeWithoutSamples } from "../src/domain/episode.js";
import { groupId, groupRef } from "../src/domain/grouping.js";
import { type Notification, queueId } from "../src/domain/notification.js";
import { notificationBody } from "../src/domain/payloads.js";
import type { Integration } from "../src/domain/routing/config.js";
import type { Route } from "../src/domain/routing/route.js";

const sealer = createEvidenceSealer(testEvidenceKeys.keys, testEvidenceKeys.keyId);
const key = (...parts: string[]) => ["argus", "alerter", ...parts].join(":");
// Parsing and serializing never touch Redis.
const store = new AlertStore(undefined as unknown as Redis, key, 60_000, sealer);

const evidence = "matched: ssn 123-45-6789";
const notification: Notification = {
  id: "msg_abc",
  queue: "gid.hash.0",
  groupKey: 'acme/{}:{alertname="PromptInjection",model="chat"}',
  gid: "gid",
  tenant: "acme",
  receiver: "oncall",
  integration: 0,
  integrationType: "webhook",
  sequence: 3,
  reason: "new",
  fingerprints: ["fp-1"],
  createdAt: "2026-01-01T00:00:00.000Z",
  body: JSON.stringify({
    type: "alert.firing",
    data: { alerts: [{ fingerprint: "fp-1", summary: "prompt injection", evidence: { match: evidence } }] },
  }),
  attempts: 1,
};

/** A notification as the flusher makes it: group id and queue derived from the group key. */
function flushed(groupKey: string, body: string): Notification {
  const gid = groupId(groupKey);
  return { ...notification, groupKey, gid, queue: queueId(gid, "oncall", 0), body };
}

/** The body of each kind of integration for a group of one firing alert, as planFlush makes it. */
function bodies(groupKey: string, labels: Record<string, string>, summary: string): string[] {
  const at = "2026-01-01T00:00:00.000Z";
  const alert = {
    fingerprint: "fp-1",
    tenant: "acme",
    modelId: "chat",
    kind: FindingKind.FINDING_KIND_PROMPT_INJECTION,
    severity: Severity.SEVERITY_WARNING,
    labels,
    summary,
    evidence: { match: evidence },
    state: "firing" as const,
    startsAt: at,
    updatedAt: at,
    findingCount: 3,
    lastFindingId: "f-3",
    episode: episodeWithoutSamples(at, at),
    notificationSeq: 1,
  };
  const integrations = [
    { type: "webhook", payload: "argus", sendResolved: true, maxAlerts: 0 },
    { type: "webhook", payload: "alertmanager", sendResolved: true, maxAlerts: 0 },
    { type: "pagerduty", sendResolved: true, routingKey: "R0123456789abcdef0123456789abcde" },
    { type: "slack", sendResolved: true },
  ] as unknown as Integration[];
  return integrations.map(
    (integration) =>
      notificationBody(integration, {
        receiver: "oncall",
        groupKey,
        groupLabels: { ...labels },
        alerts: [alert],
        acknowledged: new Set(),
        reason: "new",
        externalUrl: "",
        now: new Date(at),
      }) ?? "",
  );
}

/** What table 1 made of a body (items stored before decision 33 hold bodies packed so). */
function packedWithTableV1(body: string): string {
  let packed = body;
  tableV1.forEach((fragment, index) => {
    packed = packed.replaceAll(fragment, String.fromCharCode(index + 1));
  });
  return `1${packed}`;
}

describe("outbox items at rest", () => {
  it("keep the body sealed: the evidence it quotes is not in the stored text", () => {
    const stored = store.serializeNotification(notification);
    expect(stored).not.toContain("123-45-6789");
    expect(store.parseNotification(notification.id, stored)).toEqual(notification);
  });

  it("keep every field of an item through storage, the rare ones (retries, dead letters, replays) too", () => {
    const groupKey = 'acme/{}:{alertname="PromptInjection",model="chat"}|fp-1';
    const retried: Notification = {
      ...flushed(groupKey, bodies(groupKey, { alertname: "PromptInjection" }, "x")[0] as string),
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      attempts: 4,
      lastError: "HTTP 503",
      deadAt: "2026-01-02T00:00:00.000Z",
      deadReason: "too old",
      replays: 2,
    };
    for (const item of [retried, flushed(groupKey, "{}"), notification]) {
      expect(store.parseNotification(item.id, store.serializeNotification(item))).toEqual(item);
    }
    const plain = new AlertStore(undefined as unknown as Redis, key, 60_000, plaintextEvidence);
    expect(plain.parseNotification(retried.id, plain.serializeNotification(retried))).toEqual(retried);
  });

  it("make the group key from the body's group labels where they make it, and keep it otherwise", () => {
    const labels = { alertname: "PromptInjection", model: "chat", severity: "warning" };
    const route = { key: '{}/{client=~".+"}', groupBy: "all" } as Route;
    const group = groupRef(route, { tenant: "acme corp", fingerprint: "fp|1", labels });
    for (const [groupKey, made] of [
      [group.groupKey, true],
      [
        groupRef({ ...route, groupBy: ["model"] }, { tenant: "acme corp", fingerprint: "fp|1", labels })
          .groupKey,
        false,
      ],
    ] as const) {
      for (const body of bodies(groupKey, labels, "prompt injection")) {
        const item = { ...flushed(groupKey, body), tenant: "acme corp", fingerprints: ["fp|1"] };
        const stored = store.serializeNotification(item);
        const madeHere = made && body.includes('"groupLabels":');
        expect(
          stored.includes(JSON.stringify(groupKey).slice(1, -1)),
          `${groupKey} ${body.slice(0, 40)}`,
        ).toBe(!madeHere);
        expect(store.parseNotification(item.id, stored)).toEqual(item);
        const { body: _body, ...metadata } = item;
        expect(store.parseNotificationMetadata(item.id, stored)).toEqual(metadata);
      }
    }
  });

  it("are named short when made since decision 33, and where they were before otherwise", () => {
    expect(store.itemKey("msg_0123456789abcdef")).toBe("argus:alerter:oi:msg_0123456789abcdef");
    expect(store.itemKey("msg_0123456789abcdefghijklmnopqrstuv")).toBe(
      "argus:alerter:outbox:item:msg_0123456789abcdefghijklmnopqrstuv",
    );
    expect(store.queueKey(queueId("gid", "oncall", 0))).toMatch(/^argus:alerter:oq:[A-Za-z0-9_-]{16}$/);
    expect(store.queueKey("gid.N6juwc4ZaH.0")).toBe("argus:alerter:outbox:queue:gid.N6juwc4ZaH.0");
  });

  it("give their metadata without opening the body", () => {
    const stored = store.serializeNotification(notification);
    const { body: _body, ...metadata } = notification;
    expect(store.parseNotificationMetadata(notification.id, stored)).toEqual(metadata);
  });

  it("do not open under another item's key (a sealed body copied elsewhere)", () => {
    const stored = store.serializeNotification(notification);
    expect(() => store.parseNotification("msg_other", stored)).toThrow(/does not open/);
  });

  it("are read as they were stored before bodies were packed (the body JSON sealed in `sealed`)", () => {
    const before = JSON.stringify(
      sealFields(sealer, key("outbox", "item", notification.id), notification, ["body"]),
    );
    expect(store.parseNotification(notification.id, before)).toEqual(notification);
    const { body: _body, ...metadata } = notification;
    expect(store.parseNotificationMetadata(notification.id, before)).toEqual(metadata);
  });

  it("are read as they were stored with bodies packed by table 1 (a JSON object, `sealedBody`)", () => {
    const groupKey = 'acme/{}:{alertname="PromptInjection",model="chat"}';
    for (const body of bodies(groupKey, { alertname: "PromptInjection", model: "chat" }, 'say "hi"')) {
      const { body: _body, ...metadata } = flushed(groupKey, body);
      const sealedBody = sealer.seal(packedWithTableV1(body), key("outbox", "item", notification.id));
      const before = JSON.stringify({ ...metadata, sealedBody });
      expect(store.parseNotification(notification.id, before).body).toBe(body);
    }
  });

  it("keep any body exactly, whatever its labels, group key and evidence hold", () => {
    const groupKey = 'acme/{}:{a="\\"}",b="{\\u0002}"}|fp-1';
    const tricky = [
      JSON.stringify({
        labels: { 'x"type': '","status":"', "\u0001": "\u0000" },
        evidence: { m: '{"type":"alert.' },
      }),
      '{"type":"alert.firing","timestamp":"","data":{"reason":"',
      "raw \u0001 control \u001f characters",
      "",
      JSON.stringify({
        groupKey,
        groupLabels: { a: '"}', b: "{}" },
        labels: { a: '"}', b: "{}" },
        k: groupKey,
      }),
      JSON.stringify({ groupLabels: {}, labels: {}, evidence: {}, s: '"groupLabels":{' }),
      '{"groupLabels":{"a":"unterminated',
      ...bodies(groupKey, { a: '"}', b: "{}" }, `${groupKey} "groupLabels":{}`),
    ];
    for (const body of tricky) expect(unpackBody(packBody(body, { groupKey }), { groupKey })).toBe(body);
  });

  it("keep random bodies exactly", () => {
    const random = seededUniform(33);
    const time = "2026-01-01T00:00:00.000Z";
    const alphabet = [
      '"',
      "\\",
      "{",
      "}",
      ":",
      ",",
      "a",
      "é",
      "groupLabels",
      '"labels":',
      '{"a":"b"}',
      time,
      `"${time}"`,
    ];
    const text = (length: number) =>
      Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    for (let i = 0; i < 300; i++) {
      const labels = { [text(2)]: text(3), alertname: text(4) };
      const groupKey = `acme/${text(5)}`;
      const body = bodies(groupKey, labels, text(20))[Math.floor(random() * 4)] as string;
      expect(unpackBody(packBody(body, { groupKey }), { groupKey })).toBe(body);
      const raw = text(40);
      expect(unpackBody(packBody(raw, { groupKey }), { groupKey })).toBe(raw);
    }
  });

  it("keep sealed bodies 7 bits a character, one byte each in UTF-8, and open them as sealed", () => {
    const random = seededUniform(7);
    for (const length of [0, 1, 6, 7, 8, 63, 64, 1_000, 100_000]) {
      const plaintext = Array.from({ length }, () =>
        String.fromCharCode(32 + Math.floor(random() * 95)),
      ).join("");
      const sealed = sealer.seal(plaintext, "context");
      const text = sealedToText(sealed);
      expect(Buffer.byteLength(text, "utf8")).toBe(text.length);
      expect(text.length).toBeLessThan(sealed.length);
      expect(sealer.open(sealedOfText(text), "context")).toBe(plaintext);
    }
  });

  it("are as long whether or not the evidence repeats what is next to it (no compression to guess by)", () => {
    const context = { groupKey: notification.groupKey };
    const withEvidence = (match: string) =>
      packBody(
        JSON.stringify({ ...JSON.parse(notification.body), secret: "ssn 123-45-6789", match }),
        context,
      );
    expect(withEvidence("ssn 123-45-6789").length).toBe(withEvidence("xyz 987-65-4321").length);
    // The labels repeat the group labels (public, stored in the clear with the alert) in either case.
    const groupKey = 'acme/{}:{alertname="PromptInjection",model="chat"}|fp-1';
    const summaries = ["ssn 123-45-6789 in the prompt", "xyz 987-65-4321 in the prompt"];
    const [first, second] = summaries.map((summary) =>
      bodies(groupKey, { alertname: "PromptInjection", model: "chat" }, summary).map(
        (body) => packBody(body, { groupKey }).length,
      ),
    );
    expect(first).toEqual(second);
  });

  it("take far fewer bytes than the body sealed as it is", () => {
    const groupKey = 'acme/{}:{alertname="PromptInjection",model="chat",severity="warning"}|fp-1';
    const labels = { alertname: "PromptInjection", model: "chat", severity: "warning" };
    const [argus, alertmanager] = bodies(groupKey, labels, "prompt injection").map((body) =>
      flushed(groupKey, body),
    );
    for (const item of [argus, alertmanager] as Notification[]) {
      const before = JSON.stringify(
        sealFields(sealer, key("outbox", "item", item.id), { ...item, body: item.body }, ["body"]),
      );
      expect(store.serializeNotification(item).length).toBeLessThan(before.length * 0.5);
    }
  });
});
