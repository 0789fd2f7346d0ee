import { Webhook } from "standardwebhooks";
import { type Dispatcher, request } from "undici";
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

/** Signers by secret: a Webhook decodes its secret when made, and every send signs. */
const signers = new Map<string, Webhook>();

function signerOf(secret: string): Webhook {
  let signer = signers.get(secret);
  if (!signer) {
    signer = new Webhook(secret);
    // Secrets change on reloads only; a bound keeps old ones from piling up.
    if (signers.size >= 1_000) signers.clear();
    signers.set(secret, signer);
  }
  return signer;
}

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
    signerOf(secret).sign(notification.id, now, notification.body),
  );
  const refusal = refusalOfUrl(target.url, target.egress);
  if (refusal) return { kind: "refused", message: refusal };
  try {
    // undici's request, not fetch: the same client without WHATWG streams and objects per call.
    // It never follows a redirect (no redirect interceptor is given).
    const response = await request(target.url, {
      method: "POST",
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
    await drain(response.body);
    const retryAfter = response.headers["retry-after"];
    const retryAfterMs = parseRetryAfter(
      Array.isArray(retryAfter) ? (retryAfter[0] ?? null) : (retryAfter ?? null),
      now,
    );
    return {
      kind: "response",
      status: response.statusCode,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    for (const reason of [error as { code?: string; message?: string }, cause]) {
      if (reason?.code === "ERR_ARGUS_EGRESS_REFUSED")
        return { kind: "refused", message: reason.message ?? "refused" };
    }
    return {
      kind: "network-error",
      message: cause ? `${(error as Error).message} (${cause})` : (error as Error).message,
    };
  }
}

/** Reads (and discards) at most 64 KiB of the body so a hostile receiver cannot make us buffer gigabytes. */
async function drain(body: Dispatcher.ResponseData["body"]): Promise<void> {
  let read = 0;
  for await (const chunk of body) {
    read += (chunk as Buffer).byteLength;
    if (read >= maxResponseBytes) {
      body.destroy();
      return;
    }
  }
}
