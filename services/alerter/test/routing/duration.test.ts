import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/domain/routing/duration.js";

describe("parseDuration", () => {
  it("reads Prometheus durations", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1m500ms")).toBe(60_500);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("1w")).toBe(7 * 86_400_000);
    expect(parseDuration("1y")).toBe(365 * 86_400_000);
    expect(parseDuration("0s")).toBe(0);
    expect(parseDuration("0")).toBe(0);
    expect(parseDuration("90m")).toBe(5_400_000);
  });

  it("says what is wrong", () => {
    expect(() => parseDuration("3 min")).toThrow(
      'must be a duration like 30s, got "3 min" (integers with units',
    );
    expect(() => parseDuration("")).toThrow("durations cannot be empty");
    expect(() => parseDuration("30")).toThrow("a unit is required");
    expect(() => parseDuration("1.5h")).toThrow("fractions are not allowed");
    expect(() => parseDuration("30m1h")).toThrow("largest first");
    expect(() => parseDuration("1m1m")).toThrow("each unit at most once");
    expect(() => parseDuration("-5m")).toThrow("cannot be negative");
    expect(() => parseDuration("5M")).toThrow('got "5M"');
    expect(() => parseDuration(" 5m")).toThrow('got " 5m"');
  });

  it("refuses durations too long to count in milliseconds exactly", () => {
    expect(() => parseDuration("99999999999y")).toThrow("too long");
  });
});
