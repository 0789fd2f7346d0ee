import { createHash } from "node:crypto";
import { type Finding, FindingKind, type InferenceEvent, Severity } from "@argus/proto";
import { type PipelineResult, scanInput, scanOutput } from "./text/index.js";

const leakageScanners = new Set(["secrets", "pii"]);

/**
 * The text scanners on an event: every text feature through the input pipeline (prompt
 * injection and its smuggling tricks; secrets or PII typed into a prompt count as leakage), the
 * generated output through the output pipeline (secrets, PII, exfiltration markup: data leakage).
 * Only the scanners' redacted evidence goes into a finding, never the text.
 */
export function scanEventTexts(event: InferenceEvent, observedAt: Date): Finding[] {
  const findings: Finding[] = [];
  for (const [feature, value] of Object.entries(event.features)) {
    if (value.kind?.$case !== "text") continue;
    const result = scanInput(value.kind.value);
    if (result.verdict === "allow") continue;
    const top = result.reasons[0]?.scanner ?? "";
    const kind = leakageScanners.has(top)
      ? FindingKind.FINDING_KIND_DATA_LEAKAGE
      : FindingKind.FINDING_KIND_PROMPT_INJECTION;
    findings.push(textFinding(event, feature, "input", kind, result, observedAt));
  }
  const output = event.output?.kind;
  if (output?.$case === "generatedText") {
    const result = scanOutput(output.value);
    if (result.verdict !== "allow") {
      findings.push(
        textFinding(event, "__output__", "output", FindingKind.FINDING_KIND_DATA_LEAKAGE, result, observedAt),
      );
    }
  }
  return findings;
}

function textFinding(
  event: InferenceEvent,
  feature: string,
  side: "input" | "output",
  kind: FindingKind,
  result: PipelineResult,
  observedAt: Date,
): Finding {
  const kindName = kind === FindingKind.FINDING_KIND_DATA_LEAKAGE ? "data_leakage" : "prompt_injection";
  const block = result.verdict === "block";
  const matches = result.results.flatMap((scan) =>
    scan.matches.map((match) => `${scan.scanner}:${match.kind}:${match.evidence}`),
  );
  return {
    findingId: createHash("sha256").update(`${kindName}|${event.eventId}|${feature}`).digest("hex"),
    kind,
    severity: block ? Severity.SEVERITY_CRITICAL : Severity.SEVERITY_WARNING,
    modelId: event.modelId,
    tenant: event.tenant,
    subject: { feature, clientId: event.clientId, source: "" },
    score: result.score,
    threshold: 0,
    summary: `${event.modelId}: ${side === "output" ? "model output" : `input "${feature}"`} ${block ? "blocked" : "flagged"} by ${result.reasons.map((r) => r.scanner).join(", ")}`,
    evidence: {
      verdict: result.verdict,
      scanners: result.reasons.map((r) => `${r.scanner}=${r.weighted}`).join(","),
      matches: matches.slice(0, 8).join(" | "),
      side,
      event_id: event.eventId,
    },
    labels: {
      alertname: kind === FindingKind.FINDING_KIND_DATA_LEAKAGE ? "DataLeakage" : "PromptInjection",
      kind: kindName,
      model: event.modelId,
      severity: block ? "critical" : "warning",
      tenant: event.tenant,
    },
    fingerprint: createHash("sha256")
      .update(`${kindName}|${event.tenant}|${event.modelId}|${side}`)
      .digest("hex"),
    observedAt,
    detector: "text-scanners",
    sampleEventIds: [event.eventId],
    resolved: false,
  };
}
