import { InferenceEvent } from "@argus/proto";
import { normalDraw, seededUniform } from "@argus/stats";
import { uniqueNamespace } from "@argus/testkit";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { WindowStore } from "../src/adapters/window-store.js";
import { deltaFields, type WindowDelta } from "../src/domain/window-counters.js";
import { accumulateEvents } from "./accumulate-events.js";

const redis = new Redis(inject("redisUrl"), { lazyConnect: true });
afterAll(() => redis.quit());

describe("the window store's script", () => {
  it("writes exactly the fields and counts of the deltas, bucket field names made in Lua included", async () => {
    const namespace = uniqueNamespace("window-store");
    const key = (...parts: string[]) => [namespace, ...parts].join(":");
    const store = new WindowStore(redis, key, 3_600_000, 60_000);
    const random = seededUniform(11);
    const draw = () => normalDraw(random);
    const t0 = Date.UTC(2026, 0, 1);
    // Values across every sign and magnitude: negative, positive and zero keys, tiny and huge.
    const events = Array.from({ length: 2_000 }, (_, i) =>
      InferenceEvent.fromPartial({
        eventId: "00000000-0000-4000-8000-000000000000",
        modelId: "credit",
        tenant: "acme",
        eventTime: new Date(t0 + i),
        features: {
          spread: { kind: { $case: "number", value: draw() * 10 ** Math.round(draw() * 60) } },
          zeroOrNot: { kind: { $case: "number", value: i % 3 === 0 ? 0 : -draw() } },
          segment: { kind: { $case: "category", value: `s${i % 4}` } },
        },
      }),
    );
    const deltas: WindowDelta[] = [];
    for (let at = 0; at < events.length; at += 500)
      deltas.push(
        ...accumulateEvents(
          events.slice(at, at + 500),
          () => 3_600_000,
          () => undefined,
        ).values(),
      );
    const expected: Record<string, string> = {};
    for (const delta of deltas)
      for (const [field, count] of deltaFields(delta))
        expected[field] = String(Number(expected[field] ?? 0) + count);

    let offset: bigint | null = null;
    for (const [i, delta] of deltas.entries()) {
      expect(await store.apply(key("fence"), offset, String(i), [delta], undefined)).toBe(true);
      offset = BigInt(i);
    }
    const stored = await redis.hgetall(store.windowKey("credit", t0));
    const counted = Object.fromEntries(
      Object.entries(stored).filter(
        ([field]) => field.includes(":d:") || field.includes(":c:") || field === "n",
      ),
    );
    expect(Object.keys(expected).some((field) => /:d:n-?\d+$/.test(field))).toBe(true);
    expect(counted).toEqual(expected);
  });
});
