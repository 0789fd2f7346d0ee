import type {
  CreateSilenceRequest,
  CreateSilenceResponse,
  ListAuditEntriesRequest,
  ListAuditEntriesResponse,
  VerifyRequest,
  VerifyResponse,
} from "@argus/proto";
import { AuditServiceClient } from "@argus/proto";
import { createLogger, createRedis, type Redis } from "@argus/runtime";
import { bearer, unary } from "@argus/testkit";
import { credentials, type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type AlerterHarness, signingSecret, startAlerterHarness } from "./harness.js";

describe("audit log of the alerter's changes, verified over gRPC (real Redis and Kafka)", () => {
  let h: AlerterHarness;
  let audit: AuditServiceClient;
  let redis: Redis;

  beforeAll(async () => {
    h = await startAlerterHarness(
      { kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") },
      {
        receivers: 1,
        yaml: ([url]) =>
          `route: {receiver: r}\nreceivers: [{name: r, webhook_configs: [{url: "${url}", signing_secrets: ["${signingSecret}"]}]}]\n`,
      },
    );
    audit = new AuditServiceClient(`127.0.0.1:${h.alerter.grpcPort}`, credentials.createInsecure());
    redis = createRedis(inject("redisUrl"), createLogger("audit-test", "silent"));
  });

  afterAll(async () => {
    audit?.close();
    redis?.disconnect();
    await h?.stop();
  });

  const verify = (token: string) =>
    unary<VerifyResponse>((cb) => audit.verify({} satisfies VerifyRequest, bearer(token), cb));
  const entries = (token: string) =>
    unary<ListAuditEntriesResponse>((cb) =>
      audit.listAuditEntries({ pageSize: 0 } satisfies ListAuditEntriesRequest, bearer(token), cb),
    );

  it("records silences and reloads with their actor, shows them only to the tenant's admins, and detects tampering", async () => {
    const endsAt = new Date(Date.now() + 3_600_000);
    const request: CreateSilenceRequest = {
      matchers: ['model="m"'],
      startsAt: undefined,
      endsAt,
      comment: "deploy",
    };
    const { silence } = await h.call<CreateSilenceRequest, CreateSilenceResponse>(
      h.client.createSilence,
      request,
      h.acme.operator.token,
    );
    await h.call(h.client.reloadConfig, {}, h.acme.admin.token);

    const { entries: mine } = await entries(h.acme.admin.token);
    expect(mine.map((e) => [e.action, e.actor, e.target])).toEqual([
      ["alerter.reload_config", "admin@acme", "routing"],
      ["alerter.create_silence", "operator@acme", silence?.id],
    ]);
    expect(mine[1]?.detail).toMatchObject({ matchers: 'model="m"', comment: "deploy" });
    expect(mine[0]?.prev).toBe(mine[1]?.hash);
    expect((await entries(h.globex.admin.token)).entries).toEqual([]);
    await expect(verify(h.acme.operator.token)).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    } satisfies Partial<ServiceError>);
    expect(await verify(h.acme.admin.token)).toMatchObject({ intact: true, count: 2 });

    // Someone with Redis access rewrites the silence's entry (its comment) and puts the stream back.
    const key = `${h.namespace}:audit`;
    const original = (await redis.xrange(key, "-", "+")) as [string, string[]][];
    const copy = `${key}:copy`;
    for (const [id, fields] of original) {
      const changed = fields.slice();
      if (fields[fields.indexOf("action") + 1] === "alerter.create_silence") {
        const detail = changed.indexOf("detail") + 1;
        changed[detail] = (changed[detail] as string).replace("deploy", "nothing to see");
      }
      await redis.xadd(copy, id, ...changed);
    }
    await redis.rename(copy, key);
    expect(await verify(h.acme.admin.token)).toMatchObject({ intact: false, firstBrokenSeq: 1 });
  });
});
