import { type AlertRecord, FindingKind, Severity } from "../../src/domain/alert.js";

/** A stored alert as `applyFinding` leaves it; override what a test is about. */
export function alertRecord(overrides: Partial<AlertRecord> = {}): AlertRecord {
  return {
    fingerprint: "fp-credit-risk-age",
    tenant: "acme",
    modelId: "credit-risk",
    kind: FindingKind.FINDING_KIND_INPUT_VIOLATION,
    severity: Severity.SEVERITY_WARNING,
    labels: { alertname: "InputViolation", model: "credit-risk", severity: "warning" },
    summary: 'credit-risk: feature "age" above max',
    evidence: { rule: "max", feature: "age" },
    state: "firing",
    startsAt: "2025-03-04T05:00:00.000Z",
    updatedAt: "2025-03-04T05:03:00.000Z",
    findingCount: 2,
    lastFindingId: "f-2",
    notificationSeq: 1,
    ...overrides,
  };
}
