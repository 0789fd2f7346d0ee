import { Finding, FindingKind, Severity } from "@argus/proto";
import {
  applyFenced,
  type ConsumedRecord,
  type Decoded,
  type FencedCommand,
  injectTraceContext,
  inSpan,
  modelIdProblem,
  type OffsetFence,
  type RecordBatch,
  type Tracer,
} from "@argus/runtime";
import { type AlertRecord, applyFinding, kindName } from "../domain/alert.js";
import { firstFlushAt, groupsFor } from "../domain/grouping.js";
import type { AlerterRoutingConfig } from "../domain/routing/config.js";
import { findRoute } from "../domain/routing/route.js";
import { type AlertStore, type ErasableClient, erasableId } from "./alert-store.js";

export function decodeFinding(value: Buffer | null): Decoded<Finding> {
  if (!value || value.length === 0) return { ok: false, reason: "empty record" };
  const finding = Finding.decode(value);
  if (!finding.findingId) return { ok: false, reason: "finding_id is empty" };
  if (!finding.fingerprint) return { ok: false, reason: "fingerprint is empty" };
  const modelProblem = modelIdProblem(finding.modelId);
  if (modelProblem) return { ok: false, reason: modelProblem };
  // On-call must never be paged with an "unspecified" kind or severity: that is a detector bug.
  if (!(finding.kind in FindingKind) || finding.kind <= 0)
    return { ok: false, reason: "kind is not a known FindingKind" };
  if (!(finding.severity in Severity) || finding.severity <= 0)
    return { ok: false, reason: "severity is not a known Severity" };
  return { ok: true, value: finding };
}

/**
 * Applies a batch of findings to alert state and puts alerts that start or end an episode into
 * their routing groups (the group flusher notifies), in one atomic write with the partition's
 * offset fence: a replayed batch changes nothing, and a finding id seen before (a detector
 * replaying its input) is ignored.
 */
export function createFindingsHandler(deps: {
  store: AlertStore;
  fence: OffsetFence;
  tracer: Tracer;
  clock: () => Date;
  routing: () => AlerterRoutingConfig;
  onGrouped: () => void;
}): (batch: RecordBatch<Finding>) => Promise<void> {
  const { store, fence, tracer, clock } = deps;
  return async (batch) => {
    let grouped = 0;
    await applyFenced(fence, batch, async (records) => {
      grouped = 0;
      const fingerprints = [...new Set(records.map((record) => record.value.fingerprint))];
      const { alerts, seen, erased } = await store.loadForBatch(
        fingerprints,
        records.map((record) => record.value.findingId),
        clientsOf(records.map((record) => record.value)),
      );
      const commands: FencedCommand[] = [];
      const changed = new Map<string, AlertRecord>();
      const now = clock();
      const routing = deps.routing();
      for (const record of records) {
        const finding = record.value;
        if (seen.has(finding.findingId)) continue;
        seen.add(finding.findingId);
        commands.push(store.markSeenCommand(finding.findingId));
        // A finding about a client erased moments ago must not bring its alert back.
        if (clientsOf([finding]).some((client) => erased.has(erasableId(client)))) continue;
        const applied = applyFinding(alerts.get(finding.fingerprint), finding, now);
        if (!applied) continue;
        alerts.set(finding.fingerprint, applied.alert);
        changed.set(finding.fingerprint, applied.alert);
        if (!applied.transition) continue;
        const alert = applied.alert;
        const traceparent = await traceDecision(tracer, record, alert, applied.transition);
        commands.push(
          ...store.historyCommands(alert.fingerprint, {
            at: now.toISOString(),
            action: applied.transition,
            actor: `detector:${finding.detector || "unknown"}`,
            detail: finding.summary,
          }),
        );
        for (const group of groupsFor(routing, alert)) {
          const route = findRoute(routing.route, group.routeKey);
          const flushAt = firstFlushAt(Date.parse(alert.startsAt), now.getTime(), route?.groupWaitMs ?? 0);
          commands.push(...store.joinGroupCommands(group, alert.fingerprint, flushAt, { traceparent }));
          grouped++;
        }
      }
      for (const alert of changed.values()) commands.push(...store.saveAlertCommands(alert));
      return commands;
    });
    if (grouped > 0) deps.onGrouped();
  };
}

/** The clients a finding is about (its `client` label) or comes from (its subject). */
function clientsOf(findings: Finding[]): ErasableClient[] {
  const clients = new Map<string, ErasableClient>();
  for (const finding of findings) {
    for (const clientId of [finding.labels.client, finding.subject?.clientId]) {
      if (!clientId) continue;
      const client = { tenant: finding.tenant, clientId };
      clients.set(erasableId(client), client);
    }
  }
  return [...clients.values()];
}

/** A span for the decision to notify, child of the finding's trace; its context travels with the notification. */
function traceDecision(
  tracer: Tracer,
  record: ConsumedRecord<Finding>,
  alert: AlertRecord,
  transition: string,
): Promise<string | undefined> {
  return inSpan(
    tracer,
    "alerter.notify_decision",
    record.traceContext,
    {
      "argus.alert.fingerprint": alert.fingerprint,
      "argus.alert.transition": transition,
      "argus.kind": kindName(alert.kind),
    },
    async (_span, ctx) => injectTraceContext(ctx, {}).traceparent,
  );
}
