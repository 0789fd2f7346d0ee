import { BaselineSource, BaselineSpec, InferenceEvent } from "@argus/proto";
import { describe, expect, it } from "vitest";
import { BaselineBuilder, profileHash } from "../src/domain/baseline-profile.js";
import {
  acceptBaselineSpec,
  BaselineTargetNotFound,
  InvalidBaselineRequest,
  planBaseline,
} from "../src/domain/baseline-request.js";
import { deltaFields } from "../src/domain/window-counters.js";
import { parseWindowState } from "../src/domain/window-state.js";
import { accumulateEvents } from "./accumulate-events.js";

const now = new Date("2026-02-01T12:00:00Z");
const acme = { tenant: "acme", principal: "alice" };
const windowStart = new Date("2026-01-31T00:00:00Z");

function spec(fields: Partial<BaselineSpec> = {}): BaselineSpec {
  return BaselineSpec.fromPartial({
    modelId: "org/fraud-v2@eu",
    source: BaselineSource.BASELINE_SOURCE_CSV,
    description: "training set",
    ...fields,
  });
}

function rows(values: number[]): BaselineBuilder {
  const builder = new BaselineBuilder("org/fraud-v2@eu");
  for (const amount of values) builder.addRow({ features: { amount } });
  return builder;
}

/** The counters of a window that saw `amounts`, as the window store would hold them. */
function windowOf(amounts: number[]) {
  const events = amounts.map((amount, i) =>
    InferenceEvent.fromPartial({
      eventId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      modelId: "org/fraud-v2@eu",
      tenant: "acme",
      eventTime: new Date(windowStart.getTime() + i),
      features: { amount: { kind: { $case: "number", value: amount } } },
      output: { kind: { $case: "regression", value: 0 } },
    }),
  );
  const hash: Record<string, string> = {};
  for (const delta of accumulateEvents(
    events,
    () => 3_600_000,
    () => undefined,
  ).values())
    for (const [field, count] of deltaFields(delta)) hash[field] = String(Number(hash[field] ?? 0) + count);
  return parseWindowState(hash);
}

describe("accepting a SetBaseline spec, before the upload is read", () => {
  it("lets a tenant set the baseline of a new model or of its own", () => {
    expect(() => acceptBaselineSpec(spec(), undefined, acme)).not.toThrow();
    expect(() => acceptBaselineSpec(spec(), "acme", acme)).not.toThrow();
  });

  it("answers another tenant's model as not found, whatever else the spec says", () => {
    const refused = () =>
      acceptBaselineSpec(spec({ source: BaselineSource.BASELINE_SOURCE_UNSPECIFIED }), "globex", acme);
    expect(refused).toThrow(BaselineTargetNotFound);
    expect(refused).toThrow('model "org/fraud-v2@eu" has no drift data');
  });

  it("refuses a spec without a known source, or a frozen window without its start", () => {
    for (const source of [BaselineSource.BASELINE_SOURCE_UNSPECIFIED, BaselineSource.UNRECOGNIZED])
      expect(() => acceptBaselineSpec(spec({ source }), undefined, acme)).toThrow(/^spec\.source must be/);
    const frozen = () =>
      acceptBaselineSpec(spec({ source: BaselineSource.BASELINE_SOURCE_FROZEN_WINDOW }), undefined, acme);
    expect(frozen).toThrow(InvalidBaselineRequest);
    expect(frozen).toThrow("spec.window_start is required for FROZEN_WINDOW");
  });
});

describe("planning the baseline to store (fake clock)", () => {
  it("makes uploaded rows the caller's tenant's baseline, set by the caller now, with the profile's hash", () => {
    const planned = planBaseline(spec(), { rows: rows([10, 20, 30]) }, acme, now);
    expect(planned).toMatchObject({
      modelId: "org/fraud-v2@eu",
      source: BaselineSource.BASELINE_SOURCE_CSV,
      tenant: "acme",
      setBy: "alice",
      setAt: "2026-02-01T12:00:00.000Z",
      description: "training set",
    });
    expect(planned.profile.rowCount).toBe(3);
    expect(Object.keys(planned.profile.features)).toEqual(["amount"]);
    expect(planned.contentHash).toBe(profileHash(planned.profile));
  });

  it("refuses an upload without rows as an invalid request", () => {
    expect(() => planBaseline(spec(), { rows: rows([]) }, acme, now)).toThrow(
      new InvalidBaselineRequest("the reference data has no rows"),
    );
  });

  it("freezes a window that saw traffic, and answers a window without any as not found", () => {
    const frozenSpec = spec({ source: BaselineSource.BASELINE_SOURCE_FROZEN_WINDOW, windowStart });
    const planned = planBaseline(frozenSpec, { window: windowOf([5, 6, 7, 8]) }, acme, now);
    expect(planned.profile.rowCount).toBe(4);
    expect(planned.source).toBe(BaselineSource.BASELINE_SOURCE_FROZEN_WINDOW);
    expect(() => planBaseline(frozenSpec, { window: parseWindowState({ n: "0" }) }, acme, now)).toThrow(
      new BaselineTargetNotFound('model "org/fraud-v2@eu" has no data in window 2026-01-31T00:00:00.000Z'),
    );
  });
});
