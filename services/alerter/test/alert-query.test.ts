import { describe, expect, it } from "vitest";
import { type AlertRecord, applyFinding } from "../src/domain/alert.js";
import { type AlertQuery, matchesQuery } from "../src/domain/alert-query.js";
import { parseMatcher } from "../src/domain/routing/matchers.js";
import { alerterNow, finding, resolution, t } from "./fixtures.js";

const alert = (
  applyFinding(undefined, finding("f-1", { observedAt: t(0) }), alerterNow) as { alert: AlertRecord }
).alert;
const query = (overrides: Partial<AlertQuery> = {}): AlertQuery => ({
  tenant: "acme",
  modelId: "",
  matchers: [],
  ...overrides,
});

describe("which alerts ListAlerts shows", () => {
  it("shows the caller's tenant only", () => {
    expect(matchesQuery(alert, query())).toBe(true);
    expect(matchesQuery(alert, query({ tenant: "globex" }))).toBe(false);
  });

  it("narrows by model, state and labels", () => {
    expect(matchesQuery(alert, query({ modelId: "credit-risk" }))).toBe(true);
    expect(matchesQuery(alert, query({ modelId: "churn" }))).toBe(false);
    expect(matchesQuery(alert, query({ state: "firing" }))).toBe(true);
    expect(matchesQuery(alert, query({ state: "resolved" }))).toBe(false);
    const resolved = applyFinding(alert, resolution("f-2", t(5)), alerterNow)?.alert as AlertRecord;
    expect(matchesQuery(resolved, query({ state: "resolved" }))).toBe(true);
    expect(matchesQuery(alert, query({ matchers: [parseMatcher('severity="warning"')] }))).toBe(true);
    expect(matchesQuery(alert, query({ matchers: [parseMatcher('severity="critical"')] }))).toBe(false);
  });
});
