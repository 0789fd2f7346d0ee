import { createHash } from "node:crypto";
import { type AlertRecord, kindName, severityName } from "./alert.js";
import { sampleEventIds } from "./episode.js";
import type { NotifyReason } from "./notification-log.js";
import { alertmanagerPayload } from "./receivers/alertmanager.js";
import { type PagerDutyAction, pagerDutyEvent } from "./receivers/pagerduty.js";
import { slackMessage } from "./receivers/slack.js";
import type { Integration } from "./routing/config.js";

/** What one flush of a group tells one integration. */
export interface GroupNotice {
  receiver: string;
  groupKey: string;
  groupLabels: Record<string, string>;
  /** Alerts to report (silenced and inhibited ones already left out), firing and resolved. */
  alerts: readonly AlertRecord[];
  acknowledged: ReadonlySet<string>;
  reason: NotifyReason | "test";
  externalUrl: string;
  now: Date;
}

/** The request body for `integration`, or null when this notice is nothing it sends (e.g. resolved with send_resolved off). */
export function notificationBody(integration: Integration, notice: GroupNotice): string | null {
  const alerts = integration.sendResolved ? notice.alerts : notice.alerts.filter((a) => a.state === "firing");
  const firing = alerts.filter((a) => a.state === "firing");
  switch (integration.type) {
    case "webhook":
      if (alerts.length === 0) return null;
      if (integration.payload === "alertmanager") {
        return JSON.stringify(
          alertmanagerPayload({
            receiver: notice.receiver,
            groupKey: notice.groupKey,
            groupLabels: notice.groupLabels,
            alerts,
            externalURL: notice.externalUrl,
            maxAlerts: integration.maxAlerts,
          }),
        );
      }
      return JSON.stringify(argusPayload(notice, alerts, integration.maxAlerts));
    case "pagerduty": {
      const action = pagerDutyAction(notice, firing.length);
      if (action === "resolve" && !integration.sendResolved) return null;
      const lead = leadAlert(firing.length > 0 ? firing : notice.alerts);
      if (!lead) return null;
      const summary =
        firing.length > 1
          ? `[${firing.length} firing] ${lead.summary}`
          : lead.summary || `${kindName(lead.kind)}`;
      return JSON.stringify(
        pagerDutyEvent({
          routingKey: integration.routingKey,
          action,
          dedupKey: pagerDutyGroupDedupKey(notice.groupKey),
          alert: { ...lead, summary },
          source: `argus/${lead.tenant}/${lead.modelId}`,
          ...(notice.externalUrl ? { clientUrl: notice.externalUrl } : {}),
        }),
      );
    }
    case "slack": {
      if (alerts.length === 0) return null;
      const title = Object.entries(notice.groupLabels)
        .map(([name, value]) => `${name}=${value}`)
        .join(", ");
      const message = slackMessage(alerts, { title: title || notice.receiver });
      return JSON.stringify(integration.channel ? { ...message, channel: integration.channel } : message);
    }
  }
}

/** Receivers that can be told an incident was acknowledged (and unacknowledged). */
export function supportsAcknowledge(integration: Integration): boolean {
  return (
    integration.type === "pagerduty" || (integration.type === "webhook" && integration.payload === "argus")
  );
}

/** One PagerDuty incident per group: every action on the group carries the same key. */
export function pagerDutyGroupDedupKey(groupKey: string): string {
  return `argus:${createHash("sha256").update(groupKey).digest("hex")}`;
}

function pagerDutyAction(notice: GroupNotice, firing: number): PagerDutyAction {
  if (firing === 0) return "resolve";
  if (notice.reason === "acknowledged") return "acknowledge";
  return "trigger";
}

/** The most severe firing alert, then the oldest: what a pager's one-line summary should name. */
function leadAlert(alerts: readonly AlertRecord[]): AlertRecord | undefined {
  return [...alerts].sort(
    (a, b) =>
      b.severity - a.severity ||
      a.startsAt.localeCompare(b.startsAt) ||
      a.fingerprint.localeCompare(b.fingerprint),
  )[0];
}

function argusPayload(notice: GroupNotice, alerts: readonly AlertRecord[], maxAlerts: number) {
  const firing = alerts.some((a) => a.state === "firing");
  const sorted = [...alerts].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
  const kept = maxAlerts > 0 ? sorted.slice(0, maxAlerts) : sorted;
  const lead = leadAlert(alerts.filter((a) => a.state === "firing")) ?? leadAlert(alerts);
  return {
    type: notice.reason === "test" ? "alert.test" : `alert.${firing ? "firing" : "resolved"}`,
    timestamp: notice.now.toISOString(),
    data: {
      reason: notice.reason,
      groupKey: notice.groupKey,
      receiver: notice.receiver,
      status: firing ? "firing" : "resolved",
      groupLabels: notice.groupLabels,
      summary: lead?.summary ?? "",
      truncatedAlerts: sorted.length - kept.length,
      alerts: kept.map((alert) => ({
        fingerprint: alert.fingerprint,
        status: alert.state,
        acknowledged: notice.acknowledged.has(alert.fingerprint),
        kind: kindName(alert.kind),
        severity: severityName(alert.severity),
        model: alert.modelId,
        tenant: alert.tenant,
        summary: alert.summary,
        labels: alert.labels,
        evidence: alert.evidence,
        startsAt: alert.startsAt,
        endsAt: alert.endsAt ?? null,
        findingCount: alert.findingCount,
        lastFindingId: alert.lastFindingId,
        firstSeenAt: alert.episode.firstSeenAt,
        lastSeenAt: alert.episode.lastSeenAt,
        categories: alert.episode.categories,
        categoriesTruncated: alert.episode.categoriesTruncated,
        sampleEventIds: sampleEventIds(alert.episode),
        ...(alert.resolvedBy ? { resolvedBy: alert.resolvedBy } : {}),
      })),
    },
  };
}
