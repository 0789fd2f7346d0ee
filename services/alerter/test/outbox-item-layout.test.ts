import { createEvidenceSealer, type Redis, sealFields } from "@argus/runtime";
import { testEvidenceKeys } from "@argus/testkit";
import { describe, expect, it } from "vitest";
import { AlertStore } from "../src/adapters/alert-store.js";
import { packBody, unpackBody } from "../src/adapters/body-packing.js";
import type { Notification } from "../src/domain/notification.js";

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

describe("outbox items at rest", () => {
  it("keep the body sealed: the evidence it quotes is not in the stored text", () => {
    const stored = store.serializeNotification(notification);
    expect(stored).not.toContain("123-45-6789");
    expect(store.parseNotification(notification.id, stored)).toEqual(notification);
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
  });

  it("keep any body exactly, whatever its labels and evidence hold", () => {
    const tricky = [
      JSON.stringify({
        labels: { 'x"type': '","status":"', "\u0001": "\u0000" },
        evidence: { m: '{"type":"alert.' },
      }),
      '{"type":"alert.firing","timestamp":"","data":{"reason":"',
      "raw \u0001 control \u001f characters",
      "",
    ];
    for (const body of tricky) expect(unpackBody(packBody(body))).toBe(body);
  });

  it("are as long whether or not the evidence repeats what is next to it (no compression to guess by)", () => {
    const withEvidence = (match: string) =>
      packBody(JSON.stringify({ ...JSON.parse(notification.body), secret: "ssn 123-45-6789", match }));
    expect(withEvidence("ssn 123-45-6789").length).toBe(withEvidence("xyz 987-65-4321").length);
  });

  it("take far fewer bytes than the body sealed as it is", () => {
    const before = JSON.stringify(
      sealFields(sealer, key("outbox", "item", notification.id), notification, ["body"]),
    );
    const bodyBytes = (stored: string) =>
      stored.length - JSON.stringify({ ...notification, body: "" }).length;
    expect(bodyBytes(store.serializeNotification(notification))).toBeLessThan(bodyBytes(before) * 0.7);
  });
});
