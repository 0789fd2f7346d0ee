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
  /** Timers of a model's drift group (see driftRouteDefaults); those defaults when absent. */
  driftGroupWait?: string;
  driftGroupInterval?: string;
}

/**
 * Drift findings come one per signal (feature, its quality, prediction, confidence, multivariate,
 * dataset) per evaluated window, firing or resolving: a drifting model is dozens of alerts flapping
 * window after window. Grouped per model, an incident is one notification listing every drifted
 * signal, updated as windows close:
 * - group_wait 1m: one window's findings are published together and arrive within seconds, so the
 *   first notification has the whole window;
 * - group_interval 30m: at most 3 notifications in any hour (first, then updates at :30 and :60),
 *   also when the incident resolves and comes back (a group formed again waits for group_interval
 *   after its last notification; planFlush).
 */
export const driftRouteDefaults = { groupWait: "1m", groupInterval: "30m" } as const;

/**
 * Which drift findings are grouped per model: all but ModelPerformanceDrift, a critical change of
 * the model's error from labels (one alert per model, no flapping) that must not wait for a drift
 * group's next tick.
 */
export const driftMatchers = ['kind="drift"', 'alertname!="ModelPerformanceDrift"'] as const;

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
 * - drift findings are grouped per model (see driftRouteDefaults);
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
        {
          matchers: [...driftMatchers],
          group_by: ["model"],
          group_wait: settings.driftGroupWait ?? driftRouteDefaults.groupWait,
          group_interval: settings.driftGroupInterval ?? driftRouteDefaults.groupInterval,
        },
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
