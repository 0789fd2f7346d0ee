import { describe, expect, it } from "vitest";
import {
  formatMatcher,
  MatcherError,
  matcher,
  matches,
  matchesAll,
  parseMatcher,
} from "../../src/domain/routing/matchers.js";

describe("parseMatcher", () => {
  it("reads the four operators, with or without spaces and quotes", () => {
    expect(parseMatcher('severity="critical"')).toEqual({ name: "severity", type: "=", value: "critical" });
    expect(parseMatcher("model != fraud")).toEqual({ name: "model", type: "!=", value: "fraud" });
    expect(parseMatcher('kind=~"drift|outlier"')).toEqual({
      name: "kind",
      type: "=~",
      value: "drift|outlier",
    });
    expect(parseMatcher(' kind !~ "drift" ')).toEqual({ name: "kind", type: "!~", value: "drift" });
  });

  it('unescapes \\" \\\\ and \\n in quoted values, as Alertmanager does', () => {
    expect(parseMatcher('summary="say \\"hi\\""').value).toBe('say "hi"');
    expect(parseMatcher('path="C:\\\\tmp"').value).toBe("C:\\tmp");
    expect(parseMatcher('text="a\\nb"').value).toBe("a\nb");
  });

  it("keeps other backslashes, so regex escapes survive", () => {
    const m = parseMatcher('model=~"fraud\\.v\\d+"');
    expect(m.value).toBe("fraud\\.v\\d+");
    expect(matches(m, { model: "fraud.v12" })).toBe(true);
    expect(matches(m, { model: "fraudXv12" })).toBe(false);
  });

  it("allows an empty value", () => {
    expect(parseMatcher('team=""')).toEqual({ name: "team", type: "=", value: "" });
  });

  it("refuses text that is not a matcher", () => {
    for (const text of ["severity", 'severity=="x"', '1abc="x"', 'a="unterminated', 'a="x"y"', ""]) {
      expect(() => parseMatcher(text), text).toThrow(MatcherError);
    }
    expect(() => parseMatcher("severity")).toThrow('"severity" is not a matcher');
  });

  it("names an invalid regular expression in its message", () => {
    expect(() => parseMatcher('kind=~"drift("')).toThrow(/^invalid regular expression "drift\(": /);
  });

  it("round-trips through formatMatcher", () => {
    for (const text of ['a="x"', 'b!="with \\"quotes\\" and \\\\"', 'c=~"fraud\\\\.v1"']) {
      const m = parseMatcher(text);
      expect(parseMatcher(formatMatcher(m))).toEqual(m);
    }
    expect(formatMatcher(matcher("severity", "=", "critical"))).toBe('severity="critical"');
  });
});

describe("matches", () => {
  const labels = { severity: "critical", model_id: "fraud-v2" };

  it("anchors regular expressions at both ends", () => {
    expect(matches(parseMatcher('severity=~"crit"'), labels)).toBe(false);
    expect(matches(parseMatcher('severity=~"crit.*"'), labels)).toBe(true);
    expect(matches(parseMatcher('severity=~"ritica"'), labels)).toBe(false);
    expect(matches(parseMatcher('severity=~"critical|warning"'), labels)).toBe(true);
    expect(matches(parseMatcher('severity!~"crit"'), labels)).toBe(true);
  });

  it("treats an absent label as the empty string", () => {
    expect(matches(parseMatcher('team!="payments"'), labels)).toBe(true);
    expect(matches(parseMatcher('team=""'), labels)).toBe(true);
    expect(matches(parseMatcher('team!=""'), labels)).toBe(false);
    expect(matches(parseMatcher('team=~".*"'), labels)).toBe(true);
    expect(matches(parseMatcher('team=~".+"'), labels)).toBe(false);
    expect(matches(parseMatcher('severity!=""'), labels)).toBe(true);
  });

  it("does not mistake Object.prototype members for labels", () => {
    expect(matches(parseMatcher('constructor=""'), {})).toBe(true);
    expect(matches(parseMatcher('toString=~".+"'), {})).toBe(false);
    expect(matches(parseMatcher('constructor="x"'), { constructor: "x" })).toBe(true);
  });

  it("requires every matcher of a list, and an empty list matches all", () => {
    const both = [parseMatcher('severity="critical"'), parseMatcher('model_id=~"fraud-.*"')];
    expect(matchesAll(both, labels)).toBe(true);
    expect(matchesAll(both, { ...labels, model_id: "churn" })).toBe(false);
    expect(matchesAll([], {})).toBe(true);
  });
});

describe("matcher", () => {
  it("checks the label name and the regular expression", () => {
    expect(() => matcher("model-id", "=", "x")).toThrow('"model-id" is not a valid label name');
    expect(() => matcher("kind", "!~", "[")).toThrow(/invalid regular expression/);
    expect(matcher("kind", "=", "[")).toEqual({ name: "kind", type: "=", value: "[" });
  });
});
