import type { ReceivedWebhook } from "@argus/testkit";
import type { PagesSeen } from "./report.js";

/** Counts the webhook receiver's deliveries, and those whose alerts name one of `benign`. */
export function pagesSeen(received: readonly ReceivedWebhook[], benign: ReadonlySet<string>): PagesSeen {
  const delivered = received.filter((webhook) => webhook.verified && webhook.answered < 300);
  return {
    pages: delivered.length,
    pagesNamingBenign: delivered.filter((webhook) => clientsNamed(webhook.body).some((id) => benign.has(id)))
      .length,
    unverified: received.filter((webhook) => !webhook.verified).length,
  };
}

/** The `client` labels of a Standard Webhooks alert payload ({ data: { alerts: [{ labels }] } }). */
export function clientsNamed(body: unknown): string[] {
  const alerts = (body as { data?: { alerts?: unknown } } | null)?.data?.alerts;
  if (!Array.isArray(alerts)) return [];
  return alerts.flatMap((alert) => {
    const client = (alert as { labels?: Record<string, unknown> } | null)?.labels?.client;
    return typeof client === "string" ? [client] : [];
  });
}
