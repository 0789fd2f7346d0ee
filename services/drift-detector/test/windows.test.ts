import { describe, expect, it } from "vitest";
import { globalWatermark, isWindowClosable, windowStartOf } from "../src/domain/windows.js";

const minute = 60_000;
const fiveMinutes = 5 * minute;

describe("windowStartOf", () => {
  it("puts a time at the start of its window", () => {
    expect(windowStartOf(0, fiveMinutes)).toBe(0);
    expect(windowStartOf(1, fiveMinutes)).toBe(0);
    expect(windowStartOf(fiveMinutes - 1, fiveMinutes)).toBe(0);
    expect(windowStartOf(7 * minute + 13, fiveMinutes)).toBe(fiveMinutes);
  });

  it("a time exactly on a boundary starts the next window (windows are [start, start + size))", () => {
    expect(windowStartOf(fiveMinutes, fiveMinutes)).toBe(fiveMinutes);
    expect(windowStartOf(2 * fiveMinutes, fiveMinutes)).toBe(2 * fiveMinutes);
    expect(windowStartOf(2 * fiveMinutes - 1, fiveMinutes)).toBe(fiveMinutes);
  });

  it("floors negative times (before 1970) instead of truncating towards zero", () => {
    expect(windowStartOf(-1, fiveMinutes)).toBe(-fiveMinutes);
    expect(windowStartOf(-fiveMinutes, fiveMinutes)).toBe(-fiveMinutes);
    expect(windowStartOf(-fiveMinutes - 1, fiveMinutes)).toBe(-2 * fiveMinutes);
  });

  it("aligns real timestamps to the epoch grid", () => {
    const t = Date.parse("2025-03-04T10:07:31.250Z");
    expect(new Date(windowStartOf(t, fiveMinutes)).toISOString()).toBe("2025-03-04T10:05:00.000Z");
    expect(new Date(windowStartOf(t, 3_600_000)).toISOString()).toBe("2025-03-04T10:00:00.000Z");
  });
});

describe("globalWatermark", () => {
  const now = 1_000_000;
  const idle = 30_000;

  it("is null without partitions", () => {
    expect(globalWatermark([], now, idle)).toBeNull();
  });

  it("is the minimum event time over active partitions", () => {
    const partitions = [
      { eventTimeMs: 500, updatedAtMs: now - 1 },
      { eventTimeMs: 300, updatedAtMs: now - 10 },
      { eventTimeMs: 900, updatedAtMs: now },
    ];
    expect(globalWatermark(partitions, now, idle)).toBe(300);
  });

  it("ignores idle partitions, so a quiet partition does not hold every window open", () => {
    const partitions = [
      { eventTimeMs: 100, updatedAtMs: now - idle - 1 }, // idle, far behind
      { eventTimeMs: 800, updatedAtMs: now - 5 },
      { eventTimeMs: 700, updatedAtMs: now - 5 },
    ];
    expect(globalWatermark(partitions, now, idle)).toBe(700);
  });

  it("a partition is idle from exactly idleMs without progress", () => {
    const justIdle = [
      { eventTimeMs: 100, updatedAtMs: now - idle },
      { eventTimeMs: 800, updatedAtMs: now },
    ];
    expect(globalWatermark(justIdle, now, idle)).toBe(800);
    const stillActive = [
      { eventTimeMs: 100, updatedAtMs: now - idle + 1 },
      { eventTimeMs: 800, updatedAtMs: now },
    ];
    expect(globalWatermark(stillActive, now, idle)).toBe(100);
  });

  it("when every partition is idle, the largest event time moves on with the quiet wall time", () => {
    const partitions = [
      { eventTimeMs: 100, updatedAtMs: 0 },
      { eventTimeMs: 800, updatedAtMs: 10 },
      { eventTimeMs: 400, updatedAtMs: 20 },
    ];
    // Quiet since wall time 20: the stream's time has moved on by as much.
    expect(globalWatermark(partitions, now, idle)).toBe(800 + (now - 20));
  });

  it("closes a stopped stream's last window once quiet for the window's rest plus the lateness", () => {
    // A replay of traffic from days ago: event times far behind the wall clock.
    const replayEnd = Date.UTC(2026, 0, 3, 10, 2);
    const wallAtEnd = Date.UTC(2026, 5, 1, 9, 0);
    const lastWindow = windowStartOf(replayEnd, fiveMinutes);
    const closableAfterQuiet = lastWindow + fiveMinutes + minute - replayEnd;
    const at = (quietMs: number) =>
      globalWatermark([{ eventTimeMs: replayEnd, updatedAtMs: wallAtEnd }], wallAtEnd + quietMs, idle);
    expect(isWindowClosable(lastWindow, fiveMinutes, minute, at(idle))).toBe(false);
    expect(isWindowClosable(lastWindow, fiveMinutes, minute, at(closableAfterQuiet - 1))).toBe(false);
    expect(isWindowClosable(lastWindow, fiveMinutes, minute, at(closableAfterQuiet))).toBe(true);
  });
});

describe("isWindowClosable", () => {
  const start = 10 * fiveMinutes;
  const lateness = minute;
  const end = start + fiveMinutes;

  it("is closable exactly when the watermark reaches end + allowed lateness", () => {
    expect(isWindowClosable(start, fiveMinutes, lateness, end + lateness - 1)).toBe(false);
    expect(isWindowClosable(start, fiveMinutes, lateness, end + lateness)).toBe(true);
    expect(isWindowClosable(start, fiveMinutes, lateness, end + lateness + 1)).toBe(true);
  });

  it("waits for the lateness grace after the window end", () => {
    expect(isWindowClosable(start, fiveMinutes, lateness, end)).toBe(false);
    expect(isWindowClosable(start, fiveMinutes, 0, end)).toBe(true);
  });

  it("never closes without a watermark", () => {
    expect(isWindowClosable(start, fiveMinutes, 0, null)).toBe(false);
  });
});
