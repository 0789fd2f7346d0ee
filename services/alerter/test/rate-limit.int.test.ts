import type {
  ListAlertsRequest,
  ListAlertsResponse,
  ListSilencesRequest,
  ListSilencesResponse,
} from "@argus/proto";
import type { ServiceError } from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type AlerterHarness, signingSecret, startAlerterHarness } from "./harness.js";

const list: ListAlertsRequest = { state: 0, modelId: "", pageSize: 0, pageToken: "", matchers: [] };

describe("gRPC rate limits (token bucket per principal and method, in Redis)", () => {
  let h: AlerterHarness;

  beforeAll(async () => {
    h = await startAlerterHarness(
      { kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") },
      {
        receivers: 1,
        yaml: ([url]) =>
          `route: {receiver: r}\nreceivers: [{name: r, webhook_configs: [{url: "${url}", signing_secrets: ["${signingSecret}"]}]}]\n`,
        env: {
          GRPC_RATE_LIMIT_BURST: "5",
          GRPC_RATE_LIMIT_PER_SECOND: "2",
          GRPC_RATE_LIMITS: JSON.stringify({
            "/argus.v1.AlertService/ListSilences": { burst: 50, perSecond: 10 },
          }),
        },
      },
    );
  });

  afterAll(async () => {
    await h?.stop();
  });

  const listAs = (token: string) =>
    h.call<ListAlertsRequest, ListAlertsResponse>(h.client.listAlerts, list, token).then(
      () => ({ code: status.OK, retryAfterMs: undefined as number | undefined }),
      (error: ServiceError) => ({
        code: error.code,
        retryAfterMs: Number(error.metadata?.get("retry-after-ms")[0] ?? Number.NaN),
        details: error.details,
      }),
    );

  it("refuses a burst beyond the bucket with RESOURCE_EXHAUSTED and a retry time; others are unaffected", async () => {
    const burst = await Promise.all(Array.from({ length: 12 }, () => listAs(h.acme.viewer.token)));
    const ok = burst.filter((r) => r.code === status.OK);
    const refused = burst.filter((r) => r.code === status.RESOURCE_EXHAUSTED);
    expect(ok.length).toBeGreaterThanOrEqual(5);
    expect(ok.length).toBeLessThanOrEqual(6); // 5 in the bucket, at most one refilled meanwhile
    expect(refused.length).toBe(12 - ok.length);
    for (const r of refused) {
      expect(r.retryAfterMs).toBeGreaterThan(0);
      expect(r.retryAfterMs).toBeLessThanOrEqual(500);
    }

    // Another principal, and the same principal on another method, have their own buckets.
    expect((await listAs(h.acme.operator.token)).code).toBe(status.OK);
    const silences = await h.call<ListSilencesRequest, ListSilencesResponse>(
      h.client.listSilences,
      { state: 0 },
      h.acme.viewer.token,
    );
    expect(silences.silences).toEqual([]);

    // After the advertised wait the principal is served again.
    await new Promise((resolve) => setTimeout(resolve, (refused[0]?.retryAfterMs ?? 500) + 50));
    expect((await listAs(h.acme.viewer.token)).code).toBe(status.OK);
  });
});
