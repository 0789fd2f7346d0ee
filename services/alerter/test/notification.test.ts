import type { Finding } from "@argus/proto";
import { describe, expect, it } from "vitest";
import { type AlertRecord, applyFinding, Severity } from "../src/domain/alert.js";
import { buildNotification, notificationId } from "../src/domain/notification.js";
import { alerterNow, finding, fingerprint, resolution, t } from "./fixtures.js";

const webhookId = /^msg_[A-Za-z0-9_-]{32}$/;
const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

function alertAfter(findings: Finding[]): AlertRecord {
  let current: AlertRecord | undefined;
  for (const f of findings) current = applyFinding(current, f, alerterNow)?.alert ?? current;
  if (!current) throw new Error("no alert");
  return current;
}

interface Body {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

describe("notificationId (the webhook-id)", () => {
  it("is the same for the same alert and sequence: a retry, restart or other replica sends the same id", () => {
    expect(notificationId(fingerprint, 7)).toBe(notificationId(fingerprint, 7));
  });

  it("differs between notifications of one alert", () => {
    expect(notificationId(fingerprint, 1)).not.toBe(notificationId(fingerprint, 2));
  });

  it("differs between alerts", () => {
    expect(notificationId("fp-a", 1)).not.toBe(notificationId("fp-b", 1));
  });

  it("cannot be confused by a fingerprint that looks like another one plus a sequence", () => {
    expect(notificationId("a|1", 2)).not.toBe(notificationId("a", 12));
    expect(notificationId("a1", 2)).not.toBe(notificationId("a", 12));
  });

  it("is URL-safe msg_ plus 32 characters for any fingerprint, and unique over many", () => {
    const fingerprints = [
      "",
      "plain",
      "with spaces and / slashes + pluses = equals",
      "ünïcødé-指纹",
      "a|b|c",
      "x".repeat(10_000),
      ...Array.from({ length: 200 }, (_, i) => `fp-${i}`),
    ];
    const ids = new Set<string>();
    for (const fp of fingerprints) {
      for (const sequence of [0, 1, 2, 99, 2 ** 31]) {
        const id = notificationId(fp, sequence);
        expect(id).toMatch(webhookId);
        ids.add(id);
      }
    }
    expect(ids.size).toBe(fingerprints.length * 5);
  });
});

describe("buildNotification", () => {
  const firing = alertAfter([
    finding("f1", { observedAt: t(0), severity: Severity.SEVERITY_CRITICAL, labels: { team: "risk" } }),
    finding("f2", { observedAt: t(2), severity: Severity.SEVERITY_WARNING }),
  ]);

  it("describes a firing alert in a JSON body on-call can route on", () => {
    const n = buildNotification(firing, "firing", alerterNow, traceparent);
    const body = JSON.parse(n.body) as Body;

    expect(body).toEqual({
      type: "alert.firing",
      timestamp: alerterNow.toISOString(),
      data: {
        fingerprint,
        status: "firing",
        kind: "input_violation",
        severity: "critical",
        model: "credit-risk",
        tenant: "acme",
        summary: 'credit-risk: feature "age" above max (f2)',
        labels: firing.labels,
        evidence: { rule: "max", finding: "f2" },
        startsAt: t(0).toISOString(),
        endsAt: null,
        findingCount: 2,
        lastFindingId: "f2",
      },
    });
  });

  it("describes a resolution with its end time", () => {
    const resolved = alertAfter([finding("f1", { observedAt: t(0) }), resolution("r1", t(10))]);
    const body = JSON.parse(buildNotification(resolved, "resolved", alerterNow, undefined).body) as Body;

    expect(body.type).toBe("alert.resolved");
    expect(body.data.status).toBe("resolved");
    expect(body.data.severity).toBe("warning");
    expect(body.data.startsAt).toBe(t(0).toISOString());
    expect(body.data.endsAt).toBe(t(10).toISOString());
  });

  it("is a fresh outbox entry: id from the alert's sequence, no attempts yet, created now", () => {
    const n = buildNotification(firing, "firing", alerterNow, traceparent);

    expect(n).toMatchObject({
      id: notificationId(fingerprint, firing.notificationSeq),
      fingerprint,
      sequence: firing.notificationSeq,
      type: "alert.firing",
      createdAt: alerterNow.toISOString(),
      attempts: 0,
    });
    expect(n.id).toMatch(webhookId);
    expect(n.lastError).toBeUndefined();
  });

  it("carries the deciding span's traceparent so delivery continues the finding's trace", () => {
    expect(buildNotification(firing, "firing", alerterNow, traceparent).traceparent).toBe(traceparent);
    expect(buildNotification(firing, "firing", alerterNow, undefined)).not.toHaveProperty("traceparent");
  });

  it("builds the same bytes when rebuilt from the same alert (a replayed batch cannot change the payload)", () => {
    const a = buildNotification(firing, "firing", alerterNow, traceparent);
    const b = buildNotification(structuredClone(firing), "firing", alerterNow, traceparent);

    expect(b).toEqual(a);
  });

  it("gives firing, resolved and the next episode's firing three different webhook-ids", () => {
    const steps = [
      finding("f1", { observedAt: t(0) }),
      resolution("r1", t(10)),
      finding("f2", { observedAt: t(20) }),
    ];
    const ids: string[] = [];
    let current: AlertRecord | undefined;
    for (const step of steps) {
      const applied = applyFinding(current, step, alerterNow);
      if (!applied?.transition) throw new Error("expected a transition");
      current = applied.alert;
      ids.push(buildNotification(current, applied.transition, alerterNow, undefined).id);
    }

    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(webhookId);
  });
});
