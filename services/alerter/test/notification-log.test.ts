import { describe, expect, it } from "vitest";
import {
  type DedupOptions,
  type NotificationLogEntry,
  nextEntry,
  notifyReason,
} from "../src/domain/notification-log.js";

const hour = 3_600_000;
const sentAt = 1_741_000_000_000;
const options: DedupOptions = {
  sendResolved: true,
  repeatIntervalMs: 4 * hour,
  now: sentAt + 5 * 60_000,
  supportsAcknowledge: false,
};
const set = (...items: string[]): ReadonlySet<string> => new Set(items);
const none = set();

function entry(overrides: Partial<NotificationLogEntry> = {}): NotificationLogEntry {
  return { firing: ["a"], resolved: [], acknowledged: false, sentAt, sequence: 1, ...overrides };
}

describe("notifyReason without a previous notification", () => {
  it("notifies a group with firing alerts as new", () => {
    expect(notifyReason(undefined, set("a"), none, none, options)).toBe("new");
  });

  it("stays quiet about a group whose alerts fired and resolved before its first notification", () => {
    expect(notifyReason(undefined, none, set("a"), none, options)).toBeNull();
  });
});

describe("notifyReason: changes in what is firing", () => {
  it("notifies when an alert the receiver has not heard of starts firing", () => {
    expect(notifyReason(entry(), set("a", "b"), none, none, options)).toBe("firing-changed");
  });

  it("notifies a replacement of the firing alerts, even with as many of them as before", () => {
    expect(notifyReason(entry(), set("b"), set("a"), none, { ...options, sendResolved: false })).toBe(
      "firing-changed",
    );
  });

  it("treats firing after an all-resolved notification as a new episode", () => {
    const resolvedEntry = entry({ firing: [], resolved: ["a"] });
    expect(notifyReason(resolvedEntry, set("a"), none, none, options)).toBe("new");
  });

  it("stays quiet when some firing alerts resolved and send_resolved is off", () => {
    const twoFiring = entry({ firing: ["a", "b"] });
    expect(notifyReason(twoFiring, set("a"), set("b"), none, { ...options, sendResolved: false })).toBeNull();
  });
});

describe("notifyReason: resolutions", () => {
  it("notifies that everything resolved, even with send_resolved off (so the log stops listing them)", () => {
    expect(notifyReason(entry(), none, set("a"), none, options)).toBe("all-resolved");
    expect(notifyReason(entry(), none, set("a"), none, { ...options, sendResolved: false })).toBe(
      "all-resolved",
    );
  });

  it("stays quiet when alerts fired and resolved between two notifications", () => {
    const resolvedEntry = entry({ firing: [], resolved: ["a"] });
    expect(notifyReason(resolvedEntry, none, set("a", "b"), none, options)).toBeNull();
  });

  it("notifies a partial resolution when send_resolved is on", () => {
    const twoFiring = entry({ firing: ["a", "b"] });
    expect(notifyReason(twoFiring, set("a"), set("b"), none, options)).toBe("resolved-changed");
  });

  it("stays quiet about a resolution it already announced", () => {
    const announced = entry({ firing: ["a"], resolved: ["b"] });
    expect(notifyReason(announced, set("a"), set("b"), none, options)).toBeNull();
  });
});

describe("notifyReason: repeats", () => {
  const at = (now: number): DedupOptions => ({ ...options, now });

  it("repeats once the repeat interval has passed since the last notification, not before", () => {
    expect(notifyReason(entry(), set("a"), none, none, at(sentAt + 4 * hour - 1))).toBeNull();
    expect(notifyReason(entry(), set("a"), none, none, at(sentAt + 4 * hour))).toBe("repeat");
  });

  it("repeats a group that is still firing, whatever resolved meanwhile, with send_resolved off", () => {
    const twoFiring = entry({ firing: ["a", "b"] });
    const quietResolved: DedupOptions = { ...options, sendResolved: false, now: sentAt + 5 * hour };
    expect(notifyReason(twoFiring, set("a"), set("b"), none, quietResolved)).toBe("repeat");
  });

  it("does not repeat a group with nothing firing", () => {
    const resolvedEntry = entry({ firing: [], resolved: ["a"] });
    expect(notifyReason(resolvedEntry, none, set("a"), none, at(sentAt + 24 * hour))).toBeNull();
  });
});

describe("notifyReason: acknowledgement", () => {
  const acknowledging: DedupOptions = { ...options, supportsAcknowledge: true };
  const later: DedupOptions = { ...options, now: sentAt + 5 * hour };

  it("tells an integration that can show it that every firing alert is acknowledged", () => {
    expect(notifyReason(entry(), set("a"), none, set("a"), acknowledging)).toBe("acknowledged");
  });

  it("does not count the group acknowledged while one firing alert is not", () => {
    const twoFiring = entry({ firing: ["a", "b"] });
    expect(notifyReason(twoFiring, set("a", "b"), none, set("a"), acknowledging)).toBeNull();
  });

  it("tells it again when an alert is unacknowledged", () => {
    const acked = entry({ acknowledged: true });
    expect(notifyReason(acked, set("a"), none, none, acknowledging)).toBe("unacknowledged");
  });

  it("says nothing about acknowledgement to an integration that cannot show it", () => {
    expect(notifyReason(entry(), set("a"), none, set("a"), options)).toBeNull();
    expect(notifyReason(entry({ acknowledged: true }), set("a"), none, none, options)).toBeNull();
  });

  it("stops repeats while every firing alert is acknowledged", () => {
    expect(notifyReason(entry(), set("a"), none, set("a"), later)).toBeNull();
    const acked = entry({ acknowledged: true });
    expect(notifyReason(acked, set("a"), none, set("a"), { ...later, supportsAcknowledge: true })).toBeNull();
  });

  it("repeats again once an alert is unacknowledged", () => {
    expect(notifyReason(entry(), set("a"), none, none, later)).toBe("repeat");
  });

  it("still announces a new firing alert in an acknowledged group", () => {
    const acked = entry({ acknowledged: true });
    expect(notifyReason(acked, set("a", "b"), none, set("a"), acknowledging)).toBe("firing-changed");
  });

  it("still announces that an acknowledged group resolved", () => {
    const acked = entry({ acknowledged: true });
    expect(notifyReason(acked, none, set("a"), set("a"), acknowledging)).toBe("all-resolved");
  });

  it("ignores acknowledgements of alerts that are not firing", () => {
    expect(notifyReason(entry(), set("a"), none, set("b"), acknowledging)).toBeNull();
  });
});

describe("nextEntry", () => {
  it("records what was notified, sorted, and starts the sequence at 1", () => {
    expect(nextEntry(undefined, set("b", "a"), set("d", "c"), none, sentAt)).toEqual({
      firing: ["a", "b"],
      resolved: ["c", "d"],
      acknowledged: false,
      sentAt,
      sequence: 1,
    });
  });

  it("increments the previous sequence", () => {
    expect(nextEntry(entry({ sequence: 7 }), set("a"), none, none, sentAt).sequence).toBe(8);
  });

  it("records the group acknowledged only when it fires and every firing alert is acknowledged", () => {
    expect(nextEntry(undefined, set("a", "b"), none, set("a", "b"), sentAt).acknowledged).toBe(true);
    expect(nextEntry(undefined, set("a", "b"), none, set("a"), sentAt).acknowledged).toBe(false);
    expect(nextEntry(undefined, none, set("a"), set("a"), sentAt).acknowledged).toBe(false);
  });

  it("makes the decision quiet afterwards until something changes", () => {
    const acknowledging: DedupOptions = { ...options, supportsAcknowledge: true };
    const recorded = nextEntry(entry(), set("a"), none, set("a"), options.now);
    expect(notifyReason(recorded, set("a"), none, set("a"), acknowledging)).toBeNull();
    expect(notifyReason(recorded, set("a"), none, none, acknowledging)).toBe("unacknowledged");
  });
});
