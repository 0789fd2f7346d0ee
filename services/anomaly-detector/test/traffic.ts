import { InferenceEvent } from "@argus/proto";
import { normalDraw, seededUniform } from "@argus/stats";

// Risk decays in wall-clock time from the evidence, so the traffic happened in the last quarter hour.
const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 15 * 60_000;
const minute = 60_000;

export interface Planned {
  eventId: string;
  client: string;
  at: number;
  latencyMs: number;
}

/** Benign traffic from many clients, a burst client and a slow (sponge) client, in event-time order. */
export function traffic(): Planned[] {
  const random = seededUniform(404);
  const planned: Omit<Planned, "eventId">[] = [];
  for (let c = 0; c < 60; c++) {
    for (let i = 0; i < 40; i++) {
      planned.push({
        client: `benign-${c}`,
        at: t0 + Math.floor(random() * 10 * minute),
        latencyMs: Math.max(5, normalDraw(random, 20, 3)),
      });
    }
  }
  for (let i = 0; i < 500; i++)
    planned.push({
      client: "burst-1",
      at: t0 + 5 * minute + i * 40,
      latencyMs: normalDraw(random, 20, 3),
    });
  for (let i = 0; i < 12; i++)
    planned.push({
      client: "slow-1",
      at: t0 + 6 * minute + i * 10_000,
      latencyMs: 400 + normalDraw(random, 0, 20),
    });
  // Ids follow from the plan, so two runs of the same traffic are the same events.
  return planned
    .sort((a, b) => a.at - b.at || a.client.localeCompare(b.client))
    .map((p, i) => ({ ...p, eventId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}` }));
}

/** The event of a planned request; features come from `random`, so encode in plan order. */
export function encode(planned: Planned, random: () => number): Buffer {
  return Buffer.from(
    InferenceEvent.encode(
      InferenceEvent.fromPartial({
        eventId: planned.eventId,
        modelId: "credit-risk",
        modelVersion: "1",
        clientId: planned.client,
        tenant: "acme",
        eventTime: new Date(planned.at),
        features: {
          age: { kind: { $case: "number", value: 20 + Math.floor(random() * 50) } },
          income: { kind: { $case: "number", value: 20_000 + Math.floor(random() * 80_000) } },
          debt_ratio: { kind: { $case: "number", value: random() * 2 } },
          employment: { kind: { $case: "category", value: "employed" } },
        },
        output: {
          kind: { $case: "classification", value: { label: "approve", scores: { approve: 0.7, deny: 0.3 } } },
        },
        latencyMs: planned.latencyMs,
      }),
    ).finish(),
  );
}
