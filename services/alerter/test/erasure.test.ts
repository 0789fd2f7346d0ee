import { describe, expect, it } from "vitest";
import { type AlertRecord, applyFinding } from "../src/domain/alert.js";
import {
  cameFromClient,
  erasedClientTarget,
  isAboutClient,
  nextDueAfterRemoving,
  redactClient,
  redactedSummary,
  scrubGroup,
} from "../src/domain/erasure.js";
import type { NotificationLogEntry } from "../src/domain/notification-log.js";
import { alerterNow, finding, t } from "./fixtures.js";

function modelAlertFrom(client: string): AlertRecord {
  const applied = applyFinding(
    undefined,
    finding("f-1", {
      observedAt: t(0),
      subject: { feature: "", clientId: client, source: "" },
      sampleEventIds: ["e-1"],
    }),
    alerterNow,
  );
  if (!applied) throw new Error("the finding opened no alert");
  return applied.alert;
}

function entry(firing: string[], resolved: string[] = []): NotificationLogEntry {
  return { firing, resolved, acknowledged: false, sentAt: 0, sequence: 3 };
}

describe("what erasing a client touches", () => {
  it("removes alerts whose labels name the client, redacts alerts whose evidence came from it", () => {
    expect(isAboutClient({ labels: { client: "c-1" } }, "c-1")).toBe(true);
    expect(isAboutClient({ labels: { client: "c-2" } }, "c-1")).toBe(false);
    expect(cameFromClient({ clientId: "c-1" }, "c-1")).toBe(true);
    expect(cameFromClient({ evidence: { client: "c-1" } }, "c-1")).toBe(true);
    expect(cameFromClient({ clientId: "c-2", evidence: {} }, "c-1")).toBe(false);
  });

  it("redacts summary, evidence, client and sample event ids, and keeps the rest of the alert", () => {
    const alert = modelAlertFrom("c-1");
    expect(alert.episode.firstEventIds).toEqual(["e-1"]);
    const redacted = redactClient(alert, "c-1");
    expect(redacted).toMatchObject({
      summary: redactedSummary,
      evidence: {},
      fingerprint: alert.fingerprint,
    });
    expect(redacted).not.toHaveProperty("clientId");
    expect(redacted?.episode.firstEventIds).toEqual([]);
    expect(redacted?.episode.latestEventIds).toEqual([]);
    expect(redacted?.state).toBe(alert.state);
  });

  it("leaves an alert whose evidence now comes from another client", () => {
    expect(redactClient(modelAlertFrom("c-2"), "c-1")).toBeNull();
  });

  it("names the client in the audit log by digest only", () => {
    const target = erasedClientTarget("c-1");
    expect(target).toMatch(/^client-sha256:[0-9a-f]{64}$/);
    expect(target).not.toContain("c-1");
  });
});

describe("scrubbing a group", () => {
  const erased = new Set(["fp-a"]);

  it("ends a group whose alerts all go, with its log emptied of them", () => {
    const scrub = scrubGroup(["fp-a"], new Map([["0", entry(["fp-a"])]]), erased);
    expect(scrub).toEqual({ end: true, log: new Map([["0", entry([])]]) });
  });

  it("takes the erased alerts out of a group that keeps others, rewriting only log entries that named them", () => {
    const log = new Map([
      ["0", entry(["fp-a", "fp-b"])],
      ["1", entry(["fp-b"], ["fp-c"])],
    ]);
    expect(scrubGroup(["fp-a", "fp-b"], log, erased)).toEqual({
      end: false,
      leaving: ["fp-a"],
      changed: new Map([["0", entry(["fp-b"])]]),
    });
  });

  it("scrubs the log of a group that no longer holds the alert (it left before)", () => {
    const scrub = scrubGroup(["fp-b"], new Map([["0", entry(["fp-b"], ["fp-a"])]]), erased);
    expect(scrub).toEqual({ end: false, leaving: [], changed: new Map([["0", entry(["fp-b"])]]) });
  });

  it("does not end a group that was already empty", () => {
    expect(scrubGroup([], new Map(), erased)).toEqual({ end: false, leaving: [], changed: new Map() });
  });
});

describe("removing a queued notification", () => {
  it("makes the next one due only when the head goes", () => {
    expect(nextDueAfterRemoving("msg_1", ["msg_1", "msg_2"])).toBe("msg_2");
    expect(nextDueAfterRemoving("msg_1", ["msg_1"])).toBeUndefined();
    expect(nextDueAfterRemoving("msg_2", ["msg_1", "msg_2"])).toBeUndefined();
  });
});
