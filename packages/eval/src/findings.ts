import { Finding, findingKindToJSON } from "@argus/proto";
import { isClientLevel, type ObservedFinding } from "./scoring.js";

/** A record of the findings topic, reduced to what the scorer reads. */
export function observeFinding(value: Uint8Array): ObservedFinding {
  const finding = Finding.decode(value);
  const kind = findingKindToJSON(finding.kind);
  const clientId = finding.subject?.clientId || finding.labels.client || undefined;
  const eventIds = [...finding.sampleEventIds];
  const evidenceEventId = finding.evidence.event_id;
  if (evidenceEventId && !eventIds.includes(evidenceEventId)) eventIds.push(evidenceEventId);
  return {
    findingId: finding.findingId,
    kind,
    modelId: finding.modelId,
    detector: finding.detector,
    clientId,
    eventIds,
    observedAtMs: finding.observedAt?.getTime(),
    summary: finding.summary,
    clientLevel: isClientLevel(kind, finding.labels),
  };
}
