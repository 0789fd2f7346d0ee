import type { InferenceEvent } from "@argus/proto";
import type { Producer } from "@argus/runtime";
import {
  inSpan,
  type OutgoingFinding,
  publishFindings,
  type RecordBatch,
  type ServiceMetrics,
  type Tracer,
} from "@argus/runtime";
import { detectInputViolations, type ModelSchemas } from "../domain/index.js";

/**
 * Validates each event against its model's schema and publishes the findings before the batch's
 * offset is committed. Finding ids are deterministic, so a batch replayed after a crash yields the
 * same ids and the alerter ignores the repeats.
 */
export function createInferenceHandler(deps: {
  schemas: ModelSchemas;
  producer: Producer;
  findingsTopic: string;
  tracer: Tracer;
  metrics: ServiceMetrics;
  clock: () => Date;
}): (batch: RecordBatch<InferenceEvent>) => Promise<void> {
  return async (batch) => {
    const outgoing: OutgoingFinding[] = [];
    const observedAt = deps.clock();
    for (const record of batch.records) {
      const findings = detectInputViolations(deps.schemas, record.value, observedAt);
      if (findings.length === 0) continue;
      // A span only for events that produced findings: the trace on-call follows from the SDK to the page.
      await inSpan(
        deps.tracer,
        "anomaly-detector.input_validation",
        record.traceContext,
        {
          "argus.model": record.value.modelId,
          "argus.event_id": record.value.eventId,
          "argus.findings": findings.length,
        },
        async (_span, ctx) => {
          for (const finding of findings) outgoing.push({ finding, traceContext: ctx });
        },
      );
    }
    await publishFindings(deps.producer, deps.findingsTopic, outgoing, deps.metrics);
  };
}
