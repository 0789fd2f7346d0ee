import { describe, expect, it } from "vitest";
import { durationMs, durationText, parseDuration } from "../src/duration.js";

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
    expect(parseDuration("1y1d")).toBe(366 * 86_400_000);
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
    expect(() => parseDuration("1d1y")).toThrow("largest first");
    expect(() => parseDuration("1 hr")).toThrow('got "1 hr"');
    expect(() => parseDuration("5mo")).toThrow('got "5mo"');
  });

  it("refuses durations too long to count in milliseconds exactly", () => {
    expect(() => parseDuration("99999999999y")).toThrow("too long");
  });

  it("is the schema of every config file: the field's error says what is wrong", () => {
    expect(durationMs({ positive: true }).parse("1h30m")).toBe(5_400_000);
    expect(durationMs({ numbers: true }).parse(1_500)).toBe(1_500);
    const fraction = durationMs({ numbers: true }).safeParse(1.5);
    expect(fraction.success ? "" : fraction.error.issues[0]?.message).toContain("whole number");
    const typoInFile = durationMs({ numbers: true }).safeParse("5 min");
    expect(typoInFile.success ? "" : typoInFile.error.issues[0]?.message).toContain('got "5 min"');
    const zero = durationMs({ positive: true }).safeParse("0s");
    expect(zero.success ? "" : zero.error.issues[0]?.message).toBe("must be longer than 0");
    const typo = durationText().safeParse("5 min");
    expect(typo.success ? "" : typo.error.issues[0]?.message).toContain('got "5 min"');
    expect(durationText().parse("1d")).toBe("1d");
  });
});
