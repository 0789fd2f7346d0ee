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
    episode: {
      firstSeenAt: "2025-03-04T05:00:00.000Z",
      lastSeenAt: "2025-03-04T05:03:00.000Z",
      categories: [],
      categoriesTruncated: false,
      firstEventIds: ["ev-1", "ev-2"],
      latestEventIds: [],
    },
    notificationSeq: 1,
    ...overrides,
  };
}

/** One client's prompt-injection episode of 150 findings, as the findings handler leaves it. */
export function attackAlert(overrides: Partial<AlertRecord> = {}): AlertRecord {
  return alertRecord({
    fingerprint: "fp-chat-prompt-injection-c-7f3a",
    modelId: "chat",
    kind: FindingKind.FINDING_KIND_PROMPT_INJECTION,
    severity: Severity.SEVERITY_CRITICAL,
    labels: {
      alertname: "PromptInjection",
      kind: "prompt_injection",
      model: "chat",
      client: "c-7f3a",
      severity: "critical",
    },
    summary: 'chat: input "prompt" blocked by heuristics',
    findingCount: 150,
    episode: {
      firstSeenAt: "2025-03-04T05:00:00.000Z",
      lastSeenAt: "2025-03-04T05:24:00.000Z",
      categories: ["jailbreak", "system_prompt"],
      categoriesTruncated: false,
      firstEventIds: ["ev-1", "ev-2"],
      latestEventIds: ["ev-149", "ev-150"],
    },
    ...overrides,
  });
}
