import { alertLabelsOf, clientsNamed, type ReceivedWebhook } from "@argus/testkit";
import type { PagesSeen } from "./report.js";
import { countBy } from "./scoring.js";

/** Counts the webhook receiver's deliveries, and those whose alerts name one of `benign`. */
export function pagesSeen(received: readonly ReceivedWebhook[], benign: ReadonlySet<string>): PagesSeen {
  const delivered = received.filter((webhook) => webhook.verified && webhook.answered < 300);
  const kinds: string[] = [];
  for (const webhook of delivered) kinds.push(...alertLabelsOf(webhook.body).map(kindOf));
  return {
    pages: delivered.length,
    alertKinds: countBy(kinds),
    pagesNamingBenign: delivered.filter((webhook) => clientsNamed(webhook.body).some((id) => benign.has(id)))
      .length,
    unverified: received.filter((webhook) => !webhook.verified).length,
  };
}

type Labels = Record<string, unknown>;

function kindOf(labels: Labels): string {
  const kind = labels.kind ?? labels.alertname;
  return typeof kind === "string" ? kind : "unlabelled";
}
