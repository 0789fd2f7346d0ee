import {
  accumulateWindows,
  BaselineBuilder,
  defaultDriftConfig,
  deltaFields,
  evaluateWindow,
  parseWindowState,
} from "@argus/drift-detector/domain";
import { inferenceEventColumns } from "@argus/proto";
import { DDSketch } from "@argus/stats";
import { median } from "simple-statistics";
import { say, timed } from "./progress.js";
import { normals, syntheticEvent } from "./synthetic.js";

/** Stats kernels on one core: sketch updates, window accumulation, a full 100-feature report. */
export function benchKernels() {
  const draw = normals(1);
  say("kernels: DDSketch.add ×2 000 000…");
  const sketch = new DDSketch();
  const values = Float64Array.from({ length: 2_000_000 }, () => draw() * 100);
  const add = timed(() => {
    for (const value of values) sketch.add(value);
  });

  say("kernels: window accumulation, 50 000 events × 20 numeric features…");
  const events = Array.from({ length: 50_000 }, (_, i) =>
    inferenceEventColumns(syntheticEvent(i, draw, 20, 0)),
  );
  const accumulate = timed(() =>
    accumulateWindows(
      events,
      () => 300_000,
      () => undefined,
    ),
  );

  say("kernels: full report over 100 features (60 numeric, 40 categorical), median of 20…");
  const builder = new BaselineBuilder("bench", new Set(), 3);
  for (let i = 0; i < 5_000; i++) {
    const event = syntheticEvent(i, draw, 60, 40);
    builder.addRow({
      features: Object.fromEntries(
        Object.entries(event.features).map(([name, value]) => [name, value.kind?.value as number | string]),
      ),
    });
  }
  const profile = builder.build();
  const baseline = {
    modelId: "bench",
    tenant: "bench",
    version: 1,
    contentHash: "",
    source: 1,
    setBy: "bench",
    setAt: "",
    description: "",
    profile,
  };
  const windowEvents = Array.from({ length: 5_000 }, (_, i) =>
    inferenceEventColumns(syntheticEvent(i, draw, 60, 40)),
  );
  const [delta] = [
    ...accumulateWindows(
      windowEvents,
      () => 3_600_000_000,
      () => undefined,
    ).values(),
  ];
  const hash = Object.fromEntries(
    [...(delta ? deltaFields(delta) : [])].map(([field, count]) => [field, String(count)]),
  );
  const state = parseWindowState(hash);
  const reportTimes: number[] = [];
  for (let run = 0; run < 20; run++) {
    reportTimes.push(
      timed(() =>
        evaluateWindow(
          { modelId: "bench", windowStart: 0, windowMs: 300_000, state },
          baseline,
          defaultDriftConfig,
          new Date(),
        ),
      ).ms,
    );
  }
  return {
    ddsketchAddsPerSecond: Math.round(values.length / (add.ms / 1000)),
    featureValueUpdatesPerSecond: Math.round((events.length * 20) / (accumulate.ms / 1000)),
    eventsAccumulatedPerSecond: Math.round(events.length / (accumulate.ms / 1000)),
    report100FeaturesMs: Number(median(reportTimes).toFixed(2)),
  };
}
