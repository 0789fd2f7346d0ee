import { InferenceEvent } from "@argus/proto";
import { normalDraw, seededUniform } from "@argus/stats";

/** Seeded normal draws: the same synthetic traffic on every run. */
export function normals(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => normalDraw(uniform);
}

export const t0 = Date.UTC(2026, 5, 1, 0, 0, 0);

export const benchModelId = "bench";

/** An inference event with `numeric` normal features and `categorical` 8-valued ones. */
export function syntheticEvent(
  i: number,
  draw: () => number,
  numeric: number,
  categorical: number,
): InferenceEvent {
  const features: InferenceEvent["features"] = {};
  for (let f = 0; f < numeric; f++)
    features[`n${f}`] = { kind: { $case: "number", value: draw() * (f + 1) + f } };
  for (let f = 0; f < categorical; f++) {
    features[`c${f}`] = { kind: { $case: "category", value: `v${Math.floor(Math.abs(draw()) * 3) % 8}` } };
  }
  const approve = 1 / (1 + Math.exp(-draw()));
  return InferenceEvent.fromPartial({
    eventId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    modelId: benchModelId,
    modelVersion: "1",
    clientId: `client-${i % 500}`,
    tenant: "bench",
    eventTime: new Date(t0 + i * 10),
    features,
    output: {
      kind: {
        $case: "classification",
        value: { label: approve > 0.5 ? "yes" : "no", scores: { yes: approve, no: 1 - approve } },
      },
    },
  });
}
