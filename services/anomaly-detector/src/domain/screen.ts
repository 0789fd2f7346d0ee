import { type Finding, type ScreenInputResponse, Severity, Verdict } from "@argus/proto";

/** A client this risky is blocked whatever it sends. */
export const BLOCK_RISK = 0.8;
/** A client this risky is flagged whatever it sends. */
export const FLAG_RISK = 0.5;

/**
 * The verdict `ScreenInput` gives the inference path on one request, before the model runs:
 * - BLOCK when a detector found something critical in the request (a prompt injection the scanners
 *   block, …) or the client's risk is at least BLOCK_RISK (it attacked a model of the tenant lately);
 * - FLAG when a detector found something at warning level, or the client's risk is at least FLAG_RISK;
 * - ALLOW otherwise. Informational findings (an outlier, the user's own personal data in a prompt)
 *   are listed as reasons but never change the verdict: they are not attacks.
 * The score is the larger of the client's risk and the strongest finding (critical 1, warning 0.6,
 * info 0.3). Pure.
 */
export function screenVerdict(findings: Finding[], clientRisk: number): ScreenInputResponse {
  let score = Math.max(clientRisk, 0);
  let critical = false;
  let warning = false;
  for (const finding of findings) {
    score = Math.max(score, severityScore(finding.severity));
    if (finding.severity === Severity.SEVERITY_CRITICAL) critical = true;
    else if (finding.severity === Severity.SEVERITY_WARNING) warning = true;
  }
  const verdict =
    critical || clientRisk >= BLOCK_RISK
      ? Verdict.VERDICT_BLOCK
      : warning || clientRisk >= FLAG_RISK
        ? Verdict.VERDICT_FLAG
        : Verdict.VERDICT_ALLOW;
  return {
    verdict,
    score,
    reasons: findings.map((finding) => ({
      detector: finding.detector,
      kind: finding.kind,
      score: severityScore(finding.severity),
      summary: finding.summary,
    })),
    clientRisk,
  };
}

function severityScore(severity: Severity): number {
  if (severity === Severity.SEVERITY_CRITICAL) return 1;
  if (severity === Severity.SEVERITY_WARNING) return 0.6;
  return 0.3;
}
