import { createEvidenceSealer, plaintextEvidence, type Redis, sealFields } from "@argus/runtime";
import { testEvidenceKeys } from "@argus/testkit";
import { describe, expect, it } from "vitest";
import { AlertStore } from "../src/adapters/alert-store.js";
import { decodeStoredAlert } from "../src/adapters/stored/alert-layout.js";
import {
  decodeGroup,
  decodeLogEntry,
  encodeLogEntry,
  groupMetaFields,
  groupStateFields,
  isLegacyGroup,
  logEntryField,
  memberField,
} from "../src/adapters/stored/group-layout.js";
import { decodeHistoryEntry, encodeHistoryEntry } from "../src/adapters/stored/history-layout.js";
import { type AlertRecord, FindingKind, Severity } from "../src/domain/alert.js";
import { groupRef } from "../src/domain/grouping.js";
import type { HistoryEntry } from "../src/domain/history.js";
import type { NotificationLogEntry } from "../src/domain/notification-log.js";
import type { Route } from "../src/domain/routing/route.js";

const sealer = createEvidenceSealer(testEvidenceKeys.keys, testEvidenceKeys.keyId);
const key = (...parts: string[]) => ["argus", "alerter", ...parts].join(":");
// Parsing and serializing never touch Redis.
const store = new AlertStore(undefined as unknown as Redis, key, 60_000, sealer);
const plainStore = new AlertStore(undefined as unknown as Redis, key, 60_000, plaintextEvidence);

const at = "2026-03-04T05:06:07.089Z";
const alert: AlertRecord = {
  fingerprint: "fp-1",
  tenant: "acme",
  modelId: "chat",
  kind: FindingKind.FINDING_KIND_PROMPT_INJECTION,
  severity: Severity.SEVERITY_WARNING,
  labels: { alertname: "PromptInjection", model: "chat", severity: "warning" },
  summary: "chat: prompt injection (ssn 123-45-6789)",
  evidence: { match: "ssn 123-45-6789" },
  state: "firing",
  startsAt: at,
  updatedAt: at,
  heardAt: "2026-03-04T05:06:08.000Z",
  findingCount: 1,
  lastFindingId: "f-1",
  episode: {
    firstSeenAt: at,
    lastSeenAt: at,
    categories: [],
    categoriesTruncated: false,
    firstEventIds: [],
    latestEventIds: [],
  },
  notificationSeq: 1,
};

/** Alerts of every shape a record takes: an episode with samples and times of its own, a resolution, a client. */
const alerts: AlertRecord[] = [
  alert,
  {
    ...alert,
    state: "resolved",
    endsAt: "2026-03-04T06:00:00.000Z",
    updatedAt: "2026-03-04T06:00:00.000Z",
    resolvedBy: "alerter:resolve_timeout",
    clientId: "c-42",
    findingCount: 700,
    notificationSeq: 2,
    episode: {
      firstSeenAt: "2026-03-04T05:00:00.000Z",
      lastSeenAt: "2026-03-04T05:59:00.000Z",
      categories: ["ssn", "email"],
      categoriesTruncated: true,
      firstEventIds: ["e-1", "e-2"],
      latestEventIds: ["e-9"],
    },
  },
  { ...alert, episode: { ...alert.episode, latestEventIds: ["e-3"] } },
  // The labels name the tenant, and a model other than the alert's.
  { ...alert, labels: { ...alert.labels, tenant: "acme", model: "other" } },
  // Times that are not toISOString's output (another writer's) are kept as they are.
  {
    ...alert,
    startsAt: "2026-03-04T05:06:07Z",
    updatedAt: "+010000-01-01T00:00:00.000Z",
    heardAt: undefined,
  },
].map((record) => JSON.parse(JSON.stringify(record)) as AlertRecord);

describe("alerts at rest", () => {
  it("keep every field through storage, sealed or not", () => {
    for (const record of alerts) {
      expect(store.parseAlert(record.fingerprint, store.serializeAlert(record))).toEqual(record);
      expect(plainStore.parseAlert(record.fingerprint, plainStore.serializeAlert(record))).toEqual(record);
    }
  });

  it("keep what quotes findings sealed, and do not open under another alert's key", () => {
    const stored = store.serializeAlert(alert);
    expect(stored).not.toContain("123-45-6789");
    expect(JSON.parse(stored).sealed).toMatch(/^v1\.test\./);
    expect(() => store.parseAlert("fp-2", stored)).toThrow(/does not open/);
  });

  it("give what erasure decides on without opening anything", () => {
    for (const record of alerts) {
      const { summary: _s, evidence: _e, episode: _p, ...header } = record;
      expect(decodeStoredAlert(record.fingerprint, store.serializeAlert(record))).toEqual(header);
      expect(decodeStoredAlert(record.fingerprint, plainStore.serializeAlert(record))).toEqual(record);
      const before = JSON.stringify(
        sealFields(sealer, key("alert", record.fingerprint), record, ["summary", "evidence", "episode"]),
      );
      expect(decodeStoredAlert(record.fingerprint, before)).toEqual(header);
    }
  });

  it("are read as they were stored before decision 33 (every field by name, the quoted ones in `sealed`)", () => {
    for (const record of alerts) {
      const before = JSON.stringify(
        sealFields(sealer, key("alert", record.fingerprint), record, ["summary", "evidence", "episode"]),
      );
      expect(store.parseAlert(record.fingerprint, before)).toEqual(record);
    }
    // Stored before episodes were summarized: the episode's times are the alert's, no samples.
    const { episode: _episode, ...withoutEpisode } = alert;
    const older = JSON.stringify(
      sealFields(sealer, key("alert", alert.fingerprint), withoutEpisode, ["summary", "evidence"]),
    );
    expect(store.parseAlert(alert.fingerprint, older)).toEqual(alert);
  });

  it("take far fewer bytes than before decision 33", () => {
    const before = JSON.stringify(
      sealFields(sealer, key("alert", alert.fingerprint), alert, ["summary", "evidence", "episode"]),
    );
    expect(store.serializeAlert(alert).length).toBeLessThan(before.length * 0.6);
  });
});

describe("history lines at rest", () => {
  const lines: HistoryEntry[] = [
    { at, action: "firing", actor: "detector:input-validation", detail: "chat: ssn 123-45-6789" },
    {
      at,
      action: "notified",
      actor: "alerter",
      notificationId: "msg_1",
      receiver: "oncall",
      httpStatus: 200,
    },
    { at, action: "dead_lettered", actor: "alerter", notificationId: "msg_1", httpStatus: 0, detail: "" },
    { at, action: "notification_failed", actor: "alerter", receiver: "oncall", httpStatus: 503, detail: "x" },
    // A delivery's action by another actor is written by name.
    { at, action: "notified", actor: "op@acme", notificationId: "msg_2" },
  ];
  const historyKey = key("history", "fp-1");

  it("keep every field, the detail sealed with the list's key", () => {
    for (const line of lines) {
      const stored = encodeHistoryEntry(sealer, historyKey, line);
      expect(stored).not.toContain("123-45-6789");
      expect(decodeHistoryEntry(sealer, historyKey, stored)).toEqual(line);
      if (line.detail !== undefined)
        expect(() => decodeHistoryEntry(sealer, key("history", "fp-2"), stored)).toThrow(/does not open/);
      const plain = encodeHistoryEntry(plaintextEvidence, historyKey, line);
      expect(decodeHistoryEntry(plaintextEvidence, historyKey, plain)).toEqual(line);
    }
  });

  it("are read as they were stored before decision 33", () => {
    for (const line of lines) {
      const before = JSON.stringify(
        line.detail === undefined ? line : sealFields(sealer, historyKey, line, ["detail"]),
      );
      expect(decodeHistoryEntry(sealer, historyKey, before)).toEqual(line);
    }
  });
});

describe("groups at rest", () => {
  const entry: NotificationLogEntry = {
    firing: ["fp-1", "fp-2"],
    resolved: ["fp-3"],
    acknowledged: true,
    sentAt: 1_700_000_000_000,
    sequence: 7,
  };
  const route = (groupBy: Route["groupBy"], routeKey = '{}/{client=~".+"}') =>
    ({ key: routeKey, groupBy }) as Route;
  /** Groups as groupRef makes them, for alerts whose names and values a group key quotes. */
  const alerts = [
    { tenant: "acme", fingerprint: "fp-1", labels: alert.labels, route: route("all", "{}") },
    {
      tenant: "acme corp/eu",
      fingerprint: "fp-1",
      labels: { client: "c-1", kind: "extraction", model: "m", other: "x" },
      route: route(["model", "kind", "client"]),
    },
    {
      tenant: "acme",
      fingerprint: "fp|with|bars",
      labels: { "a=b": "1", "c,d": '"}', ["__proto__"]: "p", "1": "numeric", z: '{\\"}' },
      route: route("all"),
    },
    { tenant: "", fingerprint: "fp-1", labels: {}, route: route([]) },
    { tenant: "t", fingerprint: "fp", labels: { model: "a:{b}" }, route: route(["model"], "{}:{x}") },
  ];
  const refs = alerts.map(({ route: on, ...alert }) => groupRef(on, alert));

  it("say what they are in their hash: the group key is made from tenant, route, labels and its one alert", () => {
    alerts.forEach(({ fingerprint }, index) => {
      const ref = refs[index] as (typeof refs)[0];
      const hash = toHash([
        ...groupMetaFields(ref, [fingerprint]),
        memberField(fingerprint),
        "",
        logEntryField("r/webhook/0"),
        encodeLogEntry(entry, ref.groupKey),
      ]);
      expect(hash.k).toBeUndefined();
      const group = decodeGroup(ref.gid, hash);
      expect(group).toMatchObject({
        groupKey: ref.groupKey,
        routeKey: ref.routeKey,
        tenant: ref.tenant,
        members: [fingerprint],
        legacy: false,
      });
      expect(JSON.stringify(group.groupLabels)).toBe(JSON.stringify(ref.groupLabels));
      expect(group.log.get("r/webhook/0")).toEqual(entry);
    });
    const [alone, grouped] = refs as [(typeof refs)[0], (typeof refs)[0]];
    expect(Object.keys(toHash(groupMetaFields(alone, ["fp-1"])))).toEqual(["t", "l"]);
    expect(Object.keys(toHash(groupMetaFields(grouped, ["fp-1"])))).toEqual(["t", "r", "l", "g"]);
    // A group key they do not make is kept as it is.
    const other = { ...grouped, groupKey: `${grouped.groupKey}|other` };
    expect(decodeGroup(grouped.gid, toHash(groupMetaFields(other, ["fp-1"]))).groupKey).toBe(other.groupKey);
  });

  it("are read as they were stored before decision 33, their members and log in keys of their own", () => {
    const [ref] = refs as [(typeof refs)[0]];
    const hash = {
      groupKey: ref.groupKey,
      routeKey: ref.routeKey,
      receiver: "default",
      tenant: ref.tenant,
      labels: JSON.stringify(ref.groupLabels),
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      regularAt: "1700000030000",
      flushedAt: "1700000000000",
      // A finding joined it after the upgrade: in this layout, beside the old fields.
      [memberField("fp-new")]: "",
    };
    expect(isLegacyGroup(hash)).toBe(true);
    const group = decodeGroup(ref.gid, hash, {
      members: ["fp-1", "fp-2"],
      log: { "default/webhook/0": JSON.stringify(entry) },
    });
    expect(group).toEqual({
      groupKey: ref.groupKey,
      routeKey: ref.routeKey,
      tenant: ref.tenant,
      groupLabels: ref.groupLabels,
      traceparent: hash.traceparent,
      regularAt: 1_700_000_030_000,
      flushedAt: 1_700_000_000_000,
      members: expect.arrayContaining(["fp-1", "fp-2", "fp-new"]),
      log: new Map([["default/webhook/0", entry]]),
      // Never marked as acknowledged or not: its acknowledgements are read, also once rewritten.
      readsAcks: true,
      legacy: true,
    });
    // Written whole in this layout, it reads the same without its old keys.
    const state = {
      group,
      members: group.members,
      log: group.log,
      regularAt: group.regularAt,
      flushedAt: group.flushedAt,
    };
    const rewritten = toHash(groupStateFields(state));
    expect(isLegacyGroup(rewritten)).toBe(false);
    expect(decodeGroup(ref.gid, rewritten)).toEqual({ ...group, legacy: false });
  });

  it("read notification log entries of either layout", () => {
    expect(decodeLogEntry(encodeLogEntry(entry, undefined), undefined)).toEqual(entry);
    expect(decodeLogEntry(JSON.stringify(entry), undefined)).toEqual(entry);
    expect(encodeLogEntry(entry, undefined).length).toBeLessThan(JSON.stringify(entry).length * 0.6);
    // The one alert of a `group_by: ['...']` group is its key's: not written again.
    const [ref] = refs as [(typeof refs)[0]];
    const lone = { ...entry, firing: ["fp-1"], resolved: ["fp-1"] };
    const stored = encodeLogEntry(lone, ref.groupKey);
    expect(stored).not.toContain("fp-1");
    expect(decodeLogEntry(stored, ref.groupKey)).toEqual(lone);
    const other = { ...entry, firing: ["fp-2"], resolved: [] };
    expect(decodeLogEntry(encodeLogEntry(other, ref.groupKey), ref.groupKey)).toEqual(other);
  });
});

function toHash(fields: string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) hash[fields[i] as string] = fields[i + 1] as string;
  return hash;
}
