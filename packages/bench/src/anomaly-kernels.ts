import { readFileSync } from "node:fs";
import {
  clientDetectorsConfig,
  detectInputViolations,
  emptyClientState,
  emptyOutlierModel,
  emptyResources,
  OutlierTracker,
  observeClientQueries,
  observeClientRequest,
  observeResources,
  parseInputSchemas,
  scanInput,
  scanOutput,
} from "@argus/anomaly-detector/domain";
import { InferenceEvent } from "@argus/proto";
import { normalDraw, seededUniform } from "@argus/stats";
import { say } from "./progress.js";

const schemaFile = new URL("../../../services/anomaly-detector/config/models.example.yaml", import.meta.url);

/** Microseconds per event of each anomaly detector on one core (median of repeated runs). */
export function benchAnomalyKernels() {
  say("kernels: anomaly detectors, cost per event…");
  const random = seededUniform(12);
  const events = Array.from({ length: 20_000 }, (_, i) => {
    const age = Math.round(normalDraw(random, 45, 10));
    return InferenceEvent.fromPartial({
      eventId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      modelId: "credit-risk",
      clientId: `c-${i % 100}`,
      tenant: "bench",
      eventTime: new Date(1_700_000_000_000 + i * 100),
      features: {
        age: { kind: { $case: "number", value: age } },
        income: { kind: { $case: "number", value: age * 1200 + normalDraw(random, 0, 6000) } },
        debt_ratio: { kind: { $case: "number", value: random() * 2 } },
        employment: { kind: { $case: "category", value: "employed" } },
      },
      output: {
        kind: {
          $case: "classification",
          value: { label: random() < 0.5 ? "a" : "b", scores: { a: 0.6, b: 0.4 } },
        },
      },
      latencyMs: 20,
    });
  });
  const perEvent = (work: () => void) => {
    const started = performance.now();
    work();
    return Math.round(((performance.now() - started) * 1000 * 100) / events.length) / 100;
  };
  const schemas = parseInputSchemas(readFileSync(schemaFile, "utf8"), "models.example.yaml");
  const tracker = new OutlierTracker(emptyOutlierModel(), {
    warmupEvents: 5_000,
    calibrationEvents: 5_000,
    falsePositiveRate: 0.001,
    maxCategories: 50,
    pradaCalibrationClients: 50,
  });
  for (const event of events.slice(0, 10_000)) tracker.observe(event);
  const policy = {
    rate: { bucketMs: 10_000, buckets: 6, maxRequests: 600 },
    risk: { halfLifeMs: 3_600_000, maxReasons: 8, weights: {}, defaultWeight: 0.2 },
    resourceOutliersToAlarm: 3,
    realertMs: 600_000,
  };
  const resources = { alpha: 0.01, warmup: 200, zThreshold: 6, minRatio: 3 };
  const config = clientDetectorsConfig("bench-salt-0123456789", { prada: { delta: 0.9 } });
  const prompt =
    "Hi, I ordered a blender last week and it arrived with a cracked jar. Could you tell me how to get a replacement or a refund? My order number is in the confirmation email.";
  return {
    inputValidationUs: perEvent(() => {
      for (const event of events) detectInputViolations(schemas, event, event.eventTime as Date);
    }),
    outliersUs: perEvent(() => {
      for (const event of events) tracker.observe(event);
    }),
    rateAndResourcesUs: perEvent(() => {
      let client = emptyClientState();
      let baseline = emptyResources();
      for (const event of events) {
        const observed = observeResources(baseline, event.latencyMs, event.outputTokens, resources);
        baseline = observed.baseline;
        client = observeClientRequest(client, event, observed.verdict, policy).state;
      }
    }),
    pradaFingerprintMembershipUs: perEvent(() => {
      const clients = new Map<string, ReturnType<typeof emptyClientState>>();
      for (const event of events) {
        const vector = tracker.normalized(event) as number[];
        const before = clients.get(event.clientId) ?? emptyClientState();
        clients.set(event.clientId, observeClientQueries(before, vector, "a", config, true).state);
      }
    }),
    textInputScanUs: perEvent(() => {
      for (let i = 0; i < events.length; i++) scanInput(prompt);
    }),
    textOutputScanUs: perEvent(() => {
      for (let i = 0; i < events.length; i++) scanOutput(prompt);
    }),
  };
}
