import { describe, expect, it } from "vitest";
import { planAcknowledge, planUnacknowledge } from "../src/domain/acknowledgement.js";
import { type AlertRecord, applyFinding } from "../src/domain/alert.js";
import { planReplay } from "../src/domain/dead-letter-replay.js";
import { FailedPrecondition, NotFound } from "../src/domain/errors.js";
import type { Notification } from "../src/domain/notification.js";
import { planResolution } from "../src/domain/resolution.js";
import { alerterNow, finding, resolution, t } from "./fixtures.js";

function firingAlert(): AlertRecord {
  const applied = applyFinding(undefined, finding("f-1", { observedAt: t(0) }), alerterNow);
  if (!applied) throw new Error("the finding opened no alert");
  return applied.alert;
}

function resolvedAlert(): AlertRecord {
  const applied = applyFinding(firingAlert(), resolution("f-2", t(10)), alerterNow);
  if (!applied) throw new Error("the resolution changed nothing");
  return applied.alert;
}

describe("acknowledging", () => {
  it("acknowledges the current episode, by whom and when, with the note in the history", () => {
    const alert = firingAlert();
    const change = planAcknowledge(alert, "ana@acme", "looking into it", alerterNow);
    expect(change.ack).toEqual({
      by: "ana@acme",
      at: alerterNow.toISOString(),
      note: "looking into it",
      episode: alert.startsAt,
    });
    expect(change.entry).toEqual({
      at: alerterNow.toISOString(),
      action: "acknowledged",
      actor: "ana@acme",
      detail: "looking into it",
    });
  });

  it("refuses a resolved alert: there is no episode to acknowledge", () => {
    expect(() => planAcknowledge(resolvedAlert(), "ana@acme", "", alerterNow)).toThrow(FailedPrecondition);
  });

  it("takes an acknowledgement back in any state, recording who did", () => {
    expect(planUnacknowledge("ana@acme", alerterNow)).toEqual({
      ack: null,
      entry: { at: alerterNow.toISOString(), action: "unacknowledged", actor: "ana@acme" },
    });
  });
});

describe("resolving without a detector", () => {
  it("ends the episode when asked, by whom, with the note", () => {
    const plan = planResolution(firingAlert(), "ana@acme", t(30), alerterNow, "fixed upstream");
    expect(plan?.resolved).toMatchObject({
      state: "resolved",
      resolvedBy: "ana@acme",
      endsAt: t(30).toISOString(),
    });
    expect(plan?.entry).toEqual({
      at: alerterNow.toISOString(),
      action: "resolved",
      actor: "ana@acme",
      detail: "fixed upstream",
    });
  });

  it("writes no empty detail when there is no note", () => {
    expect(planResolution(firingAlert(), "ana@acme", t(30), alerterNow)?.entry).not.toHaveProperty("detail");
  });

  it("has nothing to do for an alert that is not firing", () => {
    expect(planResolution(resolvedAlert(), "alerter:resolve_timeout", t(30), alerterNow)).toBeNull();
  });
});

function deadLetter(overrides: Partial<Notification> = {}): Notification {
  return {
    id: "msg_abc",
    queue: "q1",
    groupKey: "acme/{}:{}",
    gid: "g1",
    tenant: "acme",
    receiver: "pager",
    integration: 0,
    integrationType: "webhook",
    sequence: 7,
    reason: "new",
    fingerprints: ["fp-a", "fp-b"],
    createdAt: t(0).toISOString(),
    body: "{}",
    attempts: 12,
    lastError: "HTTP 500",
    deadAt: t(60).toISOString(),
    deadReason: "too old",
    ...overrides,
  };
}

describe("replaying a dead letter", () => {
  const request = { id: "msg_abc", tenant: "acme", actor: "ana@acme" };

  it("puts it back at its place with a fresh retry budget, and says so in each alert's history", () => {
    const plan = planReplay(request, deadLetter({ replays: 1 }), null, alerterNow);
    expect(plan.replayed).toMatchObject({ id: "msg_abc", sequence: 7, attempts: 0, replays: 2 });
    expect(plan.replayed.createdAt).toBe(alerterNow.toISOString());
    expect(plan.replayed).not.toHaveProperty("deadAt");
    expect(plan.replayed).not.toHaveProperty("lastError");
    expect(plan.history.map((line) => line.fingerprint)).toEqual(["fp-a", "fp-b"]);
    expect(plan.history[0]?.entry).toMatchObject({
      action: "replayed",
      actor: "ana@acme",
      notificationId: "msg_abc",
      receiver: "pager",
      detail: "dead because: too old",
    });
  });

  it("does not find another tenant's notification, dead or delivered", () => {
    expect(() => planReplay(request, deadLetter({ tenant: "globex" }), null, alerterNow)).toThrow(NotFound);
    expect(() => planReplay(request, null, "globex", alerterNow)).toThrow(NotFound);
    expect(() => planReplay(request, null, null, alerterNow)).toThrow(NotFound);
  });

  it("says a delivered notification of the caller was delivered, and a pending one is not dead", () => {
    expect(() => planReplay(request, null, "acme", alerterNow)).toThrow(/was delivered/);
    const { deadAt: _deadAt, ...pending } = deadLetter();
    expect(() => planReplay(request, pending, null, alerterNow)).toThrow(FailedPrecondition);
  });
});
