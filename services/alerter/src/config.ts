import { baseConfigShape, evidenceConfigShape } from "@argus/runtime";
import { durationText } from "@argus/runtime/duration";
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { driftRouteDefaults } from "./domain/routing/default-config.js";

const whsecSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/=]+$/, "must be a Standard Webhooks secret: whsec_<base64>")
  .refine(
    (secret) => Buffer.from(secret.slice(6), "base64").length >= 24,
    "must hold at least 24 random bytes",
  );

const duration = durationText();

export const alerterConfigSchema = z
  .object({
    ...baseConfigShape,
    ...evidenceConfigShape,
    ALERTER_CONSUMER_GROUP: z.string().min(1).default("argus-alerter"),
    /**
     * The routing configuration (YAML: route tree, receivers, inhibition rules, time intervals);
     * re-read on SIGHUP and AlertService.ReloadConfig. Without it, ALERTER_WEBHOOK_URL and
     * ALERTER_WEBHOOK_SECRET make a configuration of one signed webhook receiver.
     */
    ALERTER_CONFIG_FILE: z.string().min(1).optional(),
    ALERTER_WEBHOOK_URL: z
      .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
      .optional(),
    ALERTER_WEBHOOK_SECRET: whsecSecret.optional(),
    /**
     * Grouping of the one-webhook configuration: every alert its own group, except alerts about a
     * client (one group per kind, model and client), drift (one group per model) and info alerts
     * (no one is told).
     */
    ALERTER_GROUP_WAIT: duration.default("0s"),
    ALERTER_GROUP_INTERVAL: duration.default("30s"),
    ALERTER_REPEAT_INTERVAL: duration.default("4h"),
    /** group_wait of a client's group: an attack comes in bursts, and the first notification counts it. */
    ALERTER_CLIENT_GROUP_WAIT: duration.default("30s"),
    /**
     * Timers of a model's drift group (drift findings are grouped per model): group_wait lets one
     * window's findings arrive, group_interval bounds an incident to 3 notifications an hour.
     */
    ALERTER_DRIFT_GROUP_WAIT: duration.default(driftRouteDefaults.groupWait),
    ALERTER_DRIFT_GROUP_INTERVAL: duration.default(driftRouteDefaults.groupInterval),
    /**
     * CIDR ranges the alerter may send to although they are loopback, private or link-local
     * (comma-separated, e.g. "10.20.0.0/16,127.0.0.1/32"). Empty: public addresses only.
     */
    ALERTER_EGRESS_ALLOW: z
      .string()
      .default("")
      .transform((value) =>
        value
          .split(",")
          .map((part) => part.trim())
          .filter(Boolean),
      )
      .refine(
        (cidrs) => cidrs.every((cidr) => ipaddr.isValidCIDR(cidr)),
        "every entry must be a CIDR range like 10.0.0.0/8",
      ),
    ALERTER_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
    ALERTER_RETRY_INITIAL_MS: z.coerce.number().int().min(10).default(500),
    ALERTER_RETRY_MAX_MS: z.coerce.number().int().min(10).default(60_000),
    ALERTER_NOTIFICATION_MAX_AGE_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .default(24 * 3_600_000),
    ALERTER_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(200),
    /** How long a resolved alert (with its history and delivery marks) is kept. */
    ALERTER_RESOLVED_RETENTION_MS: z.coerce
      .number()
      .int()
      .min(60_000)
      .default(7 * 24 * 3_600_000),
    /** How long a dead-lettered notification (its body quotes alerts' evidence) is kept for replay. */
    ALERTER_DEAD_LETTER_RETENTION_MS: z.coerce
      .number()
      .int()
      .min(60_000)
      .default(30 * 24 * 3_600_000),
  })
  .superRefine((config, context) => {
    if (config.ALERTER_CONFIG_FILE) return;
    for (const name of ["ALERTER_WEBHOOK_URL", "ALERTER_WEBHOOK_SECRET"] as const) {
      if (!config[name])
        context.addIssue({
          code: "custom",
          path: [name],
          message: "is required when ALERTER_CONFIG_FILE is not set",
        });
    }
  });

export type AlerterConfig = z.infer<typeof alerterConfigSchema>;
