import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface ReceivedWebhook {
  id: string;
  receivedAt: number;
  headers: Record<string, string>;
  body: unknown;
  /** The status this receiver answered with (a simulated failure, 204, or 401 for a bad signature). */
  answered: number;
  /** True when the Standard Webhooks signature verified against the shared secret. */
  verified: boolean;
  verifyError?: string;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  hang?: boolean;
}

export interface WebhookReceiver {
  url: string;
  /** Every request, including refused ones; a delivery is one that verified and was answered 2xx. */
  received: ReceivedWebhook[];
  /** Resolves once `count` deliveries arrived (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs: number): Promise<ReceivedWebhook[]>;
  /**
   * Answers to give, in order, before answering 204 (e.g. to simulate an outage); `hang: true`
   * never answers that request (a receiver stuck mid-request).
   */
  failNext(statuses: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

/**
 * An on-call endpoint for tests and the demo: it verifies each request's Standard Webhooks
 * signature the way a receiver in production would, and keeps what arrived.
 */
export async function startWebhookReceiver(
  secret: string,
  onReceive?: (webhook: ReceivedWebhook) => void,
): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const received: ReceivedWebhook[] = [];
  const failures: ScriptedAnswer[] = [];
  const hanging = new Set<ServerResponse>();
  const waiters: (() => void)[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(",") : (value ?? ""),
        ]),
      );
      let verified = false;
      let verifyError: string | undefined;
      try {
        verifier.verify(raw, headers);
        verified = true;
      } catch (error) {
        verifyError = (error as Error).message;
      }
      const failure = failures.shift();
      const answered = failure?.status ?? (verified ? 204 : 401);
      const webhook: ReceivedWebhook = {
        id: headers["webhook-id"] ?? "",
        answered,
        receivedAt: Date.now(),
        headers,
        body: safeJson(raw),
        verified,
        ...(verifyError ? { verifyError } : {}),
      };
      received.push(webhook);
      onReceive?.(webhook);
      if (failure?.hang) hanging.add(response);
      else response.writeHead(answered, failure?.headers).end();
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/argus`,
    received,
    failNext: (statuses) => failures.push(...statuses),
    waitFor: (count, timeoutMs) =>
      new Promise((resolve, reject) => {
        const deadline = setTimeout(
          () =>
            reject(new Error(`expected ${count} verified deliveries, got ${verifiedOf(received).length}`)),
          timeoutMs,
        );
        const check = () => {
          if (verifiedOf(received).length >= count) {
            clearTimeout(deadline);
            resolve(verifiedOf(received));
          } else {
            waiters.push(check);
          }
        };
        check();
      }),
    close: () =>
      new Promise((resolve) => {
        for (const response of hanging) response.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function verifiedOf(received: ReceivedWebhook[]): ReceivedWebhook[] {
  return received.filter((webhook) => webhook.verified && webhook.answered >= 200 && webhook.answered < 300);
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

type Labels = Record<string, unknown>;

/** The alerts' labels of an Argus webhook payload ({ data: { alerts: [{ labels }] } }). */
export function alertLabelsOf(body: unknown): Labels[] {
  const alerts = (body as { data?: { alerts?: unknown } } | null)?.data?.alerts;
  if (!Array.isArray(alerts)) return [];
  return alerts.map((alert) => (alert as { labels?: Labels } | null)?.labels ?? {});
}

/** The `client` labels of a webhook payload's alerts. */
export function clientsNamed(body: unknown): string[] {
  return alertLabelsOf(body).flatMap((labels) => (typeof labels.client === "string" ? [labels.client] : []));
}
