import { normalDraw, seededUniform } from "@argus/stats";
import { describe, expect, it } from "vitest";
import { compactWindow, packedField, packWindow, unpackWindow } from "../src/domain/window-compaction.js";
import { bucketOf } from "../src/domain/window-counters.js";
import { parseWindowState } from "../src/domain/window-state.js";

/** A closed window's hash as the window store writes it: 30 numeric features, a prediction, a confidence. */
function closedWindowHash(events: number, seed: number): Record<string, string> {
  const random = seededUniform(seed);
  const hash: Record<string, string> = { n: String(events), closed: "1", late: "3" };
  const add = (field: string) => {
    hash[field] = String(Number(hash[field] ?? 0) + 1);
  };
  for (let e = 0; e < events; e++) {
    for (let f = 0; f < 30; f++) {
      // Mixed scales and signs, zeros and values below 1 (negative bucket indices) included.
      const value = f === 0 ? 0 : normalDraw(random) * 10 ** ((f % 7) - 3) + (f % 3) - 1;
      add(`f:n${f}:d:${bucketOf(value)}`);
    }
    add(`f:segment:c:${e % 3 === 0 ? "retail" : "b%C3%BCro"}`);
    add(`p:c:${random() < 0.3 ? "deny" : "approve"}`);
    add(`s:d:${bucketOf(random())}`);
  }
  hash["f:n1:lo"] = "-12.5";
  hash["f:n1:hi"] = "13.25";
  return hash;
}

function applied(hash: Record<string, string>): Record<string, string> {
  const { set, remove } = compactWindow(hash);
  const out = { ...hash, ...set };
  for (const field of remove) delete out[field];
  return out;
}

const bytes = (hash: Record<string, string>) =>
  Object.entries(hash).reduce((sum, [field, value]) => sum + field.length + value.length, 0);

describe("closed-window compaction", () => {
  it("parses to exactly the same window before and after, in a fraction of the fields and bytes", () => {
    const hash = closedWindowHash(2_000, 7);
    const compacted = applied(hash);
    expect(parseWindowState(compacted)).toEqual(parseWindowState(hash));
    expect(Object.keys(compacted).length).toBeLessThan(Object.keys(hash).length / 20);
    expect(bytes(compacted)).toBeLessThan(bytes(hash) / 4);
    // What late events and reports read stays as it was; the exact extremes move into the packed field.
    expect(compacted.late).toBe("3");
    expect(compacted.closed).toBe("1");
    expect(compacted["f:n1:hi"]).toBeUndefined();
    expect(unpackWindow(compacted[packedField] as string).extremes.get("f:n1")).toEqual([-12.5, 13.25]);
  });

  it("is idempotent and leaves a window without sketches alone", () => {
    const once = applied(closedWindowHash(300, 3));
    expect(compactWindow(once)).toEqual({ set: {}, remove: [] });
    expect(compactWindow({ n: "0", closed: "1" })).toEqual({ set: {}, remove: [] });
  });

  it("packs zero, positive and negative buckets (indices below zero too) and extremes losslessly", () => {
    const buckets = new Map([
      ["z", 4],
      ["p-12", 1],
      ["p-3", 300],
      ["p0", 2],
      ["p917", 70_000],
      ["n-5", 9],
      ["n44", 1],
    ]);
    const window = {
      sketches: new Map([
        ["f:caf%C3%A9", buckets],
        ["p", new Map([["p3", 1]])],
      ]),
      extremes: new Map<string, [number, number]>([["f:caf%C3%A9", [-0.001, 1e300]]]),
    };
    expect(unpackWindow(packWindow(window))).toEqual(window);
    const nothing = { sketches: new Map(), extremes: new Map() };
    expect(unpackWindow(packWindow(nothing))).toEqual(nothing);
    expect(() => unpackWindow(Buffer.from("not deflate").toString("base64"))).toThrow();
  });
});
