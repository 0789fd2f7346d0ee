import { createHash } from "node:crypto";
import { type Finding, FindingKind, type InferenceEvent, Severity } from "@argus/proto";
import { featureColumns } from "./event-features.js";
import {
  findingKind,
  matchedCategories,
  type PipelineResult,
  scanInput,
  scanOutput,
  type TextFindingKind,
} from "./text/index.js";

type Side = "input" | "output";

const OUTPUT_FEATURE = "__output__";

/**
 * The text scanners on an event: every text feature through the input pipeline (prompt
 * injection and its smuggling tricks; a request whose only signal is a secret or personal data is
 * leakage, findingKind), the generated output through the output pipeline (secrets, PII,
 * exfiltration markup: data leakage). Only the scanners' redacted evidence goes into a finding,
 * never the text.
 */
export function scanEventTexts(event: InferenceEvent, observedAt: Date): Finding[] {
  const findings: Finding[] = [];
  // Text features are among the event's other features: most events have none.
  for (const [feature, value] of featureColumns(event).otherFeatures) {
    if (value?.kind?.$case !== "text") continue;
    const result = scanInput(value.kind.value);
    const kind = findingKind(result, "input");
    if (kind) findings.push(textFinding(event, feature, "input", kind, result, observedAt));
  }
  const output = event.output?.kind;
  if (output?.$case === "generatedText") {
    const result = scanOutput(output.value);
    const kind = findingKind(result, "output");
    if (kind) findings.push(textFinding(event, OUTPUT_FEATURE, "output", kind, result, observedAt));
  }
  return findings;
}

/**
 * One alert per attacker: the fingerprint is (tenant, kind, model, client), not the side or the
 * event, so a client sending hundreds of injections is one episode that the alerter counts.
 * Events without a client share the model's anonymous alert.
 */
export function textFindingFingerprint(
  tenant: string,
  kind: TextFindingKind,
  modelId: string,
  clientId: string,
  side: Side = "output",
): string {
  // A user's own personal data in a prompt is its own (informational) alert, so that it never
  // holds back the alert about the model leaking data in its answers.
  const parts = ["text", tenant, kind, modelId, clientId];
  if (kind === "data_leakage" && side === "input") parts.push("input");
  return sha256(parts);
}

function textFinding(
  event: InferenceEvent,
  feature: string,
  side: Side,
  kind: TextFindingKind,
  result: PipelineResult,
  observedAt: Date,
): Finding {
  const block = result.verdict === "block";
  // PII or a secret in a prompt is the user's own data (a privacy matter for whoever logs prompts),
  // not an attack on the model: recorded and listed, but it pages nobody. In outputs it is leakage.
  const ownData = kind === "data_leakage" && side === "input";
  const severity = ownData
    ? Severity.SEVERITY_INFO
    : block
      ? Severity.SEVERITY_CRITICAL
      : Severity.SEVERITY_WARNING;
  const matches = result.results.flatMap((scan) =>
    scan.matches.map((match) => `${scan.scanner}:${match.kind}:${match.evidence}`),
  );
  const client = event.clientId;
  const where = side === "output" ? "model output" : `input "${feature}"`;
  const who = client === "" ? "" : ` from client ${client.slice(0, 12)}…`;
  return {
    // Unchanged since before fingerprints were per client: a replayed event yields the same id.
    findingId: createHash("sha256").update(`${kind}|${event.eventId}|${feature}`).digest("hex"),
    kind:
      kind === "data_leakage"
        ? FindingKind.FINDING_KIND_DATA_LEAKAGE
        : FindingKind.FINDING_KIND_PROMPT_INJECTION,
    severity,
    modelId: event.modelId,
    tenant: event.tenant,
    subject: { feature, clientId: client, source: "" },
    score: result.score,
    threshold: 0,
    summary: `${event.modelId}: ${where}${who} ${block ? "blocked" : "flagged"} by ${result.reasons.map((r) => r.scanner).join(", ")}`,
    evidence: {
      verdict: result.verdict,
      categories: matchedCategories(result).join(","),
      scanners: result.reasons.map((r) => `${r.scanner}=${r.weighted}`).join(","),
      matches: matches.slice(0, 8).join(" | "),
      side,
      event_id: event.eventId,
      ...(client === "" ? {} : { client }),
    },
    labels: {
      alertname: kind === "data_leakage" ? "DataLeakage" : "PromptInjection",
      kind,
      model: event.modelId,
      severity: ownData ? "info" : block ? "critical" : "warning",
      tenant: event.tenant,
      ...(client === "" ? {} : { client }),
      ...(ownData ? { side } : {}),
    },
    fingerprint: textFindingFingerprint(event.tenant, kind, event.modelId, client, side),
    observedAt,
    detector: "text-scanners",
    sampleEventIds: [event.eventId],
    resolved: false,
  };
}

/** Parts joined with a separator no tenant, model or pseudonym contains, so they cannot run together. */
function sha256(parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}
