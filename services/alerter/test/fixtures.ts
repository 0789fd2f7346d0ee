import { Finding, FindingKind, Severity } from "@argus/proto";

/** A fixed alerter clock: far from every observedAt below, so a test sees which clock a field came from. */
export const alerterNow = new Date("2030-01-01T00:00:00.000Z");

export const fingerprint = "fp-credit-risk-age";

/** t(5) is five minutes into the test's story. */
export function t(minutes: number): Date {
  return new Date(Date.UTC(2025, 2, 4, 5, 0, 0) + minutes * 60_000);
}

/** An input-violation finding as the anomaly detector publishes it. */
export function finding(id: string, overrides: Partial<Finding> = {}): Finding {
  return Finding.fromPartial({
    findingId: id,
    kind: FindingKind.FINDING_KIND_INPUT_VIOLATION,
    severity: Severity.SEVERITY_WARNING,
    modelId: "credit-risk",
    tenant: "acme",
    fingerprint,
    summary: `credit-risk: feature "age" above max (${id})`,
    evidence: { rule: "max", finding: id },
    labels: { alertname: "InputViolation", model: "credit-risk", severity: "warning" },
    observedAt: t(0),
    ...overrides,
  });
}

export function resolution(id: string, at: Date, overrides: Partial<Finding> = {}): Finding {
  return finding(id, { resolved: true, observedAt: at, summary: "back to normal", ...overrides });
}
