import { Webhook } from "standardwebhooks";
import { type Dispatcher, fetch } from "undici";
import { type AttemptOutcome, parseRetryAfter } from "../domain/delivery-policy.js";
import type { Notification } from "../domain/notification.js";
import { type EgressPolicy, refusalOfUrl } from "./egress.js";

export interface WebhookTarget {
  url: string;
  /**
   * Standard Webhooks secrets (`whsec_…`); each signs, so receivers verify during a key rotation
   * with either the old or the new secret. Empty: the request is not signed (PagerDuty, Slack).
   */
  signingSecrets: string[];
  timeoutMs: number;
  egress: EgressPolicy;
  /** Dispatcher whose connections pass the egress check (see egress.ts). */
  dispatcher: Dispatcher;
}

const maxResponseBytes = 64 * 1024;

/**
 * POSTs one notification signed per Standard Webhooks (`webhook-id` stable, `webhook-timestamp`
 * of this attempt, `webhook-signature: v1,<base64 HMAC-SHA256>` once per secret, space-separated).
 * Redirects are not followed: a receiver that moved must be reconfigured, not silently chased to an
 * address nobody vetted.
 */
export async function sendWebhook(
  target: WebhookTarget,
  notification: Pick<Notification, "id" | "body">,
  headers: Record<string, string>,
  now: Date,
): Promise<AttemptOutcome> {
  const signatures = target.signingSecrets.map((secret) =>
    new Webhook(secret).sign(notification.id, now, notification.body),
  );
  const refusal = refusalOfUrl(target.url, target.egress);
  if (refusal) return { kind: "refused", message: refusal };
  try {
    const response = await fetch(target.url, {
      method: "POST",
      redirect: "manual",
      dispatcher: target.dispatcher,
      signal: AbortSignal.timeout(target.timeoutMs),
      headers: {
        ...headers,
        "content-type": "application/json",
        "user-agent": "argus-alerter",
        "webhook-id": notification.id,
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        ...(signatures.length > 0 ? { "webhook-signature": signatures.join(" ") } : {}),
      },
      body: notification.body,
    });
    await drain(response);
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), now);
    return {
      kind: "response",
      status: response.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === "ERR_ARGUS_EGRESS_REFUSED")
      return { kind: "refused", message: cause.message ?? "refused" };
    return {
      kind: "network-error",
      message: cause ? `${(error as Error).message} (${cause})` : (error as Error).message,
    };
  }
}

/** Reads (and discards) at most 64 KiB of the body so a hostile receiver cannot make us buffer gigabytes. */
async function drain(response: Awaited<ReturnType<typeof fetch>>): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  let read = 0;
  while (read < maxResponseBytes) {
    const { done, value } = await reader.read();
    if (done) return;
    read += value.byteLength;
  }
  await reader.cancel();
}
