import { type AlertRecord, severityName } from "../alert.js";
import { sampleEventIds } from "../episode.js";
import { sortAlerts } from "./alertmanager.js";

/**
 * A Slack incoming-webhook message: `text` is the notification/fallback line, `blocks` the Block Kit
 * body. Kept within Slack's limits: a header's plain text at most 150 characters, a section's text
 * at most 3000, and at most `MAX_LISTED` alerts listed (a context block counts the rest; Slack
 * allows 50 blocks). User-controlled text is escaped for mrkdwn (&, <, >).
 */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export type SlackBlock =
  | { type: "header"; text: { type: "plain_text"; text: string } }
  | { type: "section"; text: { type: "mrkdwn"; text: string } }
  | { type: "context"; elements: { type: "mrkdwn"; text: string }[] };

export const SLACK_MAX_LISTED = 20;

export function slackMessage(alerts: readonly AlertRecord[], options: { title: string }): SlackMessage {
  const sorted = sortAlerts(alerts);
  const firing = sorted.filter((a) => a.state === "firing").length;
  const resolved = sorted.length - firing;
  const counts = [firing > 0 ? `${firing} firing` : "", resolved > 0 ? `${resolved} resolved` : ""]
    .filter(Boolean)
    .join(", ");
  const status = firing > 0 ? "FIRING" : "RESOLVED";
  const text = `[${status}] ${options.title}${counts ? ` (${counts})` : ""}`;
  const blocks: SlackBlock[] = [{ type: "header", text: { type: "plain_text", text: cap(text, 150) } }];
  for (const a of sorted.slice(0, SLACK_MAX_LISTED)) {
    const icon = a.state === "firing" ? ":red_circle:" : ":large_green_circle:";
    const client = a.labels.client ? ` · client \`${escapeMrkdwn(a.labels.client)}\`` : "";
    const line =
      `${icon} *${escapeMrkdwn(severityName(a.severity))}* · \`${escapeMrkdwn(a.modelId)}\` (${escapeMrkdwn(a.tenant)})${client}\n` +
      `${escapeMrkdwn(a.summary)}\n_since ${escapeMrkdwn(a.startsAt)}${a.state === "resolved" && a.endsAt ? `, resolved ${escapeMrkdwn(a.endsAt)}` : ""}_\n` +
      episodeLine(a);
    blocks.push({ type: "section", text: { type: "mrkdwn", text: cap(line, 3000) } });
  }
  const rest = sorted.length - SLACK_MAX_LISTED;
  if (rest > 0) blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `and ${rest} more` }] });
  return { text, blocks };
}

/** The episode in sum: how many findings over which span, their categories and sample events. */
function episodeLine(alert: AlertRecord): string {
  const { episode } = alert;
  const findings = `${alert.findingCount} finding${alert.findingCount === 1 ? "" : "s"}`;
  const span = `first seen ${escapeMrkdwn(episode.firstSeenAt)}, last seen ${escapeMrkdwn(episode.lastSeenAt)}`;
  const categories =
    episode.categories.length > 0
      ? ` · categories: ${escapeMrkdwn(episode.categories.join(", "))}${episode.categoriesTruncated ? ", and more" : ""}`
      : "";
  const samples = sampleEventIds(episode);
  const events =
    samples.length > 0 ? `\nsample events: ${samples.map((id) => `\`${escapeMrkdwn(id)}\``).join(", ")}` : "";
  return `${findings}, ${span}${categories}${events}`;
}

/** Slack mrkdwn control characters. */
function escapeMrkdwn(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function cap(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join("")}…`;
}
