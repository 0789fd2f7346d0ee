// Turns the input violations of one event into findings for `argus.findings.v1`.
import { createHash } from "node:crypto";
import { type Finding, FindingKind, type InferenceEvent, Severity } from "@argus/proto";
import { type ModelSchemas, schemaFor } from "./input-schema.js";
import { type Violation, type ViolationRule, validateInput } from "./input-validation.js";

export const INPUT_VALIDATION_DETECTOR = "input-validation";

/**
 * Rules that make a finding CRITICAL. A missing required feature or a NaN/infinite value is not an
 * unusual input but a broken one: the model cannot have computed a meaningful output from it (NaN
 * propagates through most models into every score, tree models silently route it down a default
 * branch, and a missing feature was defaulted or imputed by the serving code without anyone
 * deciding so). It points at a broken client or feature pipeline, and the prediction already served
 * is likely wrong. Out-of-range numbers, unseen categories, long texts, wrong dimensions and
 * undeclared features can be real-world change or a stale schema, and are WARNINGs. (A wrong
 * embedding dimension usually fails in the model server itself, so that caller already sees an error.)
 */
const CRITICAL_RULES: ReadonlySet<ViolationRule> = new Set<ViolationRule>(["missing", "not_finite"]);

/**
 * One finding per violated feature of `event` (several rules of one feature merge into one finding),
 * in the order of `violations`' first mention of each feature. Deterministic: the same event and
 * violations give the same findings, ids included, so replays are recognised downstream.
 */
export function violationsToFindings(
  event: InferenceEvent,
  violations: readonly Violation[],
  observedAt: Date,
): Finding[] {
  const byFeature = new Map<string, Violation[]>();
  for (const violation of violations) {
    const group = byFeature.get(violation.feature);
    if (group) group.push(violation);
    else byFeature.set(violation.feature, [violation]);
  }

  const findings: Finding[] = [];
  for (const [feature, group] of byFeature) {
    // Sorted, de-duplicated rules: the id must not depend on the order in which checks ran.
    const rules = [...new Set(group.map((v) => v.rule))].sort();
    const critical = rules.some((rule) => CRITICAL_RULES.has(rule));
    const severityName = critical ? "critical" : "warning";
    const details = group.map((v) => v.detail);
    const observed = group.flatMap((v) => (v.observed === undefined ? [] : [v.observed]));

    const evidence: Record<string, string> = {
      rule: rules.join(","),
      detail: details.join("; "),
      model_version: event.modelVersion,
      event_id: event.eventId,
    };
    if (observed.length > 0) evidence.observed = observed.join("; ");

    findings.push({
      findingId: sha256Hex(["input_violation", event.eventId, feature, rules.join(",")]),
      kind: FindingKind.FINDING_KIND_INPUT_VIOLATION,
      severity: critical ? Severity.SEVERITY_CRITICAL : Severity.SEVERITY_WARNING,
      modelId: event.modelId,
      tenant: event.tenant,
      subject: { feature, clientId: event.clientId, source: "" },
      score: rules.length,
      threshold: 0,
      summary: `${event.modelId}: feature ${JSON.stringify(feature)} ${details.join("; ")}`,
      evidence,
      labels: {
        alertname: "InputViolation",
        kind: "input_violation",
        model: event.modelId,
        feature,
        severity: severityName,
        tenant: event.tenant,
      },
      fingerprint: inputViolationFingerprint(event.tenant, event.modelId, feature),
      observedAt,
      detector: INPUT_VALIDATION_DETECTOR,
      sampleEventIds: [event.eventId],
      resolved: false,
    });
  }
  return findings;
}

/**
 * The alert identity of input violations of one feature of one model of one tenant: every event that
 * breaks that feature feeds the same alert, whatever rule it breaks and whichever client sent it.
 */
export function inputViolationFingerprint(tenant: string, modelId: string, feature: string): string {
  return sha256Hex(["input_violation", tenant, modelId, feature]);
}

/**
 * Validates `event` against the schema of its model and returns the findings; none when the event is
 * valid or its model declares no schema (undeclared models are not validated).
 */
export function detectInputViolations(
  schemas: ModelSchemas,
  event: InferenceEvent,
  observedAt: Date,
): Finding[] {
  const schema = schemaFor(schemas, event.modelId);
  if (schema === undefined) return [];
  const violations = validateInput(schema, event);
  return violations.length === 0 ? [] : violationsToFindings(event, violations, observedAt);
}

/**
 * Hex SHA-256 of the parts joined by "|". "\" and "|" inside a part are escaped with "\", so parts
 * that contain "|" (ids are client-controlled) cannot make two different tuples hash alike; for
 * ordinary ids the hashed text is exactly `a|b|c`.
 */
function sha256Hex(parts: readonly string[]): string {
  const text = parts.map((part) => part.replace(/[\\|]/g, (c) => `\\${c}`)).join("|");
  return createHash("sha256").update(text, "utf8").digest("hex");
}
