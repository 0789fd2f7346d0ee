import { type AlertRecord, FindingKind, Severity } from "./alert.js";
import type { AttemptOutcome } from "./delivery-policy.js";
import { episodeWithoutSamples } from "./episode.js";

/** The alert a test notification speaks of: not stored, not grouped, always firing. */
export function testAlert(tenant: string, now: Date): AlertRecord {
  return {
    fingerprint: "argus-test-notification",
    tenant,
    modelId: "argus",
    kind: FindingKind.FINDING_KIND_ARGUS_HEALTH,
    severity: Severity.SEVERITY_INFO,
    labels: { alertname: "ArgusTestNotification", severity: "info" },
    summary: "Test notification from Argus: this receiver is reachable.",
    evidence: {},
    state: "firing",
    startsAt: now.toISOString(),
    updatedAt: now.toISOString(),
    findingCount: 0,
    lastFindingId: "",
    episode: episodeWithoutSamples(now.toISOString(), now.toISOString()),
    notificationSeq: 0,
  };
}

/** What TestReceiver reports for one integration. */
export interface TestResult {
  integration: string;
  delivered: boolean;
  httpStatus: number;
  error: string;
}

/** Only a 2xx is a delivery: anything else is the reason the integration would not be paged. */
export function testResult(integration: string, outcome: AttemptOutcome): TestResult {
  const delivered = outcome.kind === "response" && outcome.status >= 200 && outcome.status < 300;
  return {
    integration,
    delivered,
    httpStatus: outcome.kind === "response" ? outcome.status : 0,
    error: delivered ? "" : outcome.kind === "response" ? `HTTP ${outcome.status}` : outcome.message,
  };
}

/** The audit detail of a test: each integration, delivered or why not. */
export function testSummary(results: readonly TestResult[]): string {
  return results.map((r) => `${r.integration}=${r.delivered ? "delivered" : r.error}`).join("; ");
}
