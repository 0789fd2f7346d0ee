import { stringify } from "yaml";

/** What the environment-only setup says: one signed Argus webhook and its timers. */
export interface SingleWebhookSettings {
  url: string;
  signingSecret: string;
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
  /** group_wait of alerts about a client: long enough for the first notification to count a burst. */
  clientGroupWait: string;
}

/** The receiver of info alerts in the default configuration: it has no integration, so no one is told. */
export const unnotifiedReceiver = "unnotified";

/** What the default configuration groups alerts about one client by: one notification per client. */
export const clientGroupBy = ["kind", "model", "client"] as const;

/**
 * The routing configuration (YAML) that ALERTER_WEBHOOK_URL and ALERTER_WEBHOOK_SECRET mean without a
 * file:
 * - info alerts (per-event outliers: one benign event in a thousand is unusual by construction) are
 *   stored and listed but notify no one, so a benign-only day pages nobody;
 * - alerts about a client (a finding with a `client` label: extraction, probing, prompt injection,
 *   data leakage, rate or resource abuse) are grouped by kind, model and client, so an attack is one
 *   notification per attacking client, after `clientGroupWait` so that it counts the burst;
 * - every other alert notifies alone (`group_by: ['...']`).
 */
export function singleWebhookRoutingYaml(settings: SingleWebhookSettings): string {
  return stringify({
    route: {
      receiver: "default",
      group_by: ["..."],
      group_wait: settings.groupWait,
      group_interval: settings.groupInterval,
      repeat_interval: settings.repeatInterval,
      routes: [
        { matchers: ['severity="info"'], receiver: unnotifiedReceiver },
        { matchers: ['client=~".+"'], group_by: [...clientGroupBy], group_wait: settings.clientGroupWait },
      ],
    },
    receivers: [
      {
        name: "default",
        webhook_configs: [{ url: settings.url, payload: "argus", signing_secrets: [settings.signingSecret] }],
      },
      { name: unnotifiedReceiver },
    ],
  });
}
