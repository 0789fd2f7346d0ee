import {
  decodeInferenceEventColumns,
  decodeInferenceEventWire,
  FeedbackEvent,
  Finding,
  findingKindToJSON,
  type InferenceEvent,
  type InferenceEventColumns,
  modelIdProblem,
  optionalClientIdProblem,
  tenantProblem,
} from "@argus/proto";
import type { Decoded } from "./consumer-loop.js";
import type { ProducerPort } from "./kafka-port.js";
import type { ServiceMetrics } from "./metrics.js";
import { type Context, injectTraceContext, ROOT_CONTEXT } from "./tracing.js";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Decodes an `argus.inference.v1` record and checks what every consumer relies on. Bytes that are
 * not an InferenceEvent (or decode by accident into one without its identity) are rejected with
 * the reason, for the dead-letter topic.
 */
export function decodeInferenceEvent(value: Buffer | null): Decoded<InferenceEvent> {
  // The hand-written decoder: the generated decoder's object, faster (see @argus/proto).
  return decodeChecked(value, decodeInferenceEventWire, (event) => event.eventTime?.getTime());
}

/** `decodeInferenceEvent` with the numeric features as columns (a consumer that reads every feature once). */
export function decodeInferenceEventAsColumns(value: Buffer | null): Decoded<InferenceEventColumns> {
  return decodeChecked(value, decodeInferenceEventColumns, (event) => event.eventTimeMs);
}

function decodeChecked<T extends { eventId: string; modelId: string; clientId: string; tenant: string }>(
  value: Buffer | null,
  decode: (bytes: Buffer) => T,
  eventTimeMsOf: (event: T) => number | undefined,
): Decoded<T> {
  if (!value || value.length === 0) return { ok: false, reason: "empty record" };
  let event: T;
  try {
    event = decode(value);
  } catch (error) {
    return { ok: false, reason: `not an argus.v1.InferenceEvent: ${(error as Error).message}` };
  }
  if (!uuid.test(event.eventId)) return { ok: false, reason: "event_id is not a UUID" };
  // The id rules the gRPC services check too: what is consumed here can be asked about there.
  const idProblem =
    modelIdProblem(event.modelId) ?? optionalClientIdProblem(event.clientId) ?? tenantProblem(event.tenant);
  if (idProblem) return { ok: false, reason: idProblem };
  const eventTimeMs = eventTimeMsOf(event);
  if (eventTimeMs === undefined || Number.isNaN(eventTimeMs))
    return { ok: false, reason: "event_time is missing" };
  return { ok: true, value: event };
}

export interface OutgoingFinding {
  finding: Finding;
  /** Trace of the work that produced the finding; the alerter continues it. */
  traceContext: Context;
}

/** Publishes findings to the findings topic (the service kit binds producer, topic and metrics). */
export type PublishFindings = (findings: OutgoingFinding[]) => Promise<void>;

/** Findings of work that continues no trace (window evaluation, label batches). */
export function untraced(findings: Finding[]): OutgoingFinding[] {
  return findings.map((finding) => ({ finding, traceContext: ROOT_CONTEXT }));
}

/** Publishes findings keyed by fingerprint, so all findings of one alert stay in order on one partition. */
export async function publishFindings(
  producer: ProducerPort,
  topic: string,
  findings: OutgoingFinding[],
  metrics: ServiceMetrics,
): Promise<void> {
  if (findings.length === 0) return;
  await producer.send({
    topic,
    acks: -1,
    messages: findings.map(({ finding, traceContext }) => ({
      key: finding.fingerprint,
      value: Buffer.from(Finding.encode(finding).finish()),
      headers: injectTraceContext(traceContext, {
        "content-type": "application/x-protobuf",
        "argus-schema": "argus.v1.Finding",
      }),
    })),
  });
  for (const { finding } of findings)
    metrics.findingsPublished.inc({ kind: findingKindToJSON(finding.kind) });
}

/** Decodes an `argus.feedback.v1` record and checks its identity and that it carries a target. */
export function decodeFeedbackEvent(value: Buffer | null): Decoded<FeedbackEvent> {
  if (!value || value.length === 0) return { ok: false, reason: "empty record" };
  let event: FeedbackEvent;
  try {
    event = FeedbackEvent.decode(value);
  } catch (error) {
    return { ok: false, reason: `not an argus.v1.FeedbackEvent: ${(error as Error).message}` };
  }
  if (!event.feedbackId) return { ok: false, reason: "feedback_id is empty" };
  const idProblem = modelIdProblem(event.modelId) ?? tenantProblem(event.tenant);
  if (idProblem) return { ok: false, reason: idProblem };
  if (!event.source) return { ok: false, reason: "source is empty" };
  if (!event.target) return { ok: false, reason: "neither label nor training_record is set" };
  if (event.target.$case === "label" && !event.target.value.requestId) {
    return { ok: false, reason: "label.request_id is empty" };
  }
  return { ok: true, value: event };
}
