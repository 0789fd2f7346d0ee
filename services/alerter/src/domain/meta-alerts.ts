import { createHash } from "node:crypto";
import { type Finding, FindingKind, Severity } from "@argus/proto";

/**
 * The finding Argus raises about itself when a receiver is disabled (it answered 410 Gone): routed
 * like any alert, so a route for `alertname="ArgusReceiverDisabled"` can send it somewhere else.
 */
export function receiverDisabledFinding(input: {
  tenant: string;
  receiver: string;
  integration: string;
  reason: string;
  notificationId: string;
  at: Date;
}): Finding {
  const fingerprint = createHash("sha256")
    .update(`argus_health|receiver_disabled|${input.tenant}|${input.integration}`)
    .digest("hex");
  return {
    findingId: createHash("sha256").update(`${fingerprint}|${input.notificationId}`).digest("hex"),
    kind: FindingKind.FINDING_KIND_ARGUS_HEALTH,
    severity: Severity.SEVERITY_CRITICAL,
    modelId: "argus",
    tenant: input.tenant,
    subject: undefined,
    score: 1,
    threshold: 1,
    summary: `Receiver ${input.integration} is disabled: ${input.reason}. Notifications to it go to the dead-letter list until it is fixed (ReloadConfig or TestReceiver) and replayed.`,
    evidence: {
      receiver: input.receiver,
      integration: input.integration,
      notification_id: input.notificationId,
    },
    labels: {
      alertname: "ArgusReceiverDisabled",
      receiver: input.receiver,
      integration: input.integration,
      severity: "critical",
      kind: "argus_health",
    },
    fingerprint,
    observedAt: input.at,
    detector: "alerter",
    sampleEventIds: [],
    resolved: false,
  };
}
