import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Alert, AlertServiceClient, Finding, FindingKind, Severity } from "@argus/proto";
import { loadConfig, type RunningService } from "@argus/runtime";
import {
  apiKeysJson,
  bearer,
  isolatedServiceEnv,
  makePrincipals,
  startWebhookReceiver,
  testProducer,
  unary,
  uniqueNamespace,
  type WebhookReceiver,
} from "@argus/testkit";
import { credentials, type ServiceError } from "@grpc/grpc-js";
import type { Producer } from "kafkajs";
import { alerterConfigSchema, startAlerter } from "../src/index.js";

export const signingSecret = `whsec_${randomBytes(32).toString("base64")}`;

export interface AlerterHarness {
  namespace: string;
  alerter: RunningService;
  receivers: WebhookReceiver[];
  client: AlertServiceClient;
  configPath: string;
  /** Tokens of tenant "acme" by role, and of another tenant. */
  acme: ReturnType<typeof makePrincipals>;
  globex: ReturnType<typeof makePrincipals>;
  publish(...findings: Finding[]): Promise<void>;
  /** Calls an AlertService method as `token`. */
  call<Req, Res>(
    method: (
      req: Req,
      meta: ReturnType<typeof bearer>,
      cb: (e: ServiceError | null, r: Res) => void,
    ) => unknown,
    request: Req,
    token: string,
  ): Promise<Res>;
  stop(): Promise<void>;
}

/**
 * An in-process alerter on the real broker and Redis, its routing file written from `yaml(urls)` (or none)
 * (urls of `receivers` local webhook receivers, all verifying `signingSecret`).
 */
export async function startAlerterHarness(
  stack: { kafkaBrokers: string[]; redisUrl: string },
  options: {
    receivers: number;
    /** Without it, the environment-only configuration: one signed webhook to the first receiver. */
    yaml?: (urls: string[]) => string;
    env?: Record<string, string>;
    /** Another replica of this harness's alerter: same namespace (topics, Redis), same receivers. */
    replicaOf?: AlerterHarness;
  },
): Promise<AlerterHarness> {
  const namespace = options.replicaOf?.namespace ?? uniqueNamespace("alerter");
  const ownReceivers = options.replicaOf === undefined;
  const receivers =
    options.replicaOf?.receivers ??
    (await Promise.all(Array.from({ length: options.receivers }, () => startWebhookReceiver(signingSecret))));
  const configPath = join(mkdtempSync(join(tmpdir(), "argus-alerter-")), "alerter.yaml");
  const routing: Record<string, string> = options.yaml
    ? { ALERTER_CONFIG_FILE: configPath }
    : { ALERTER_WEBHOOK_URL: receivers[0]?.url ?? "", ALERTER_WEBHOOK_SECRET: signingSecret };
  if (options.yaml) writeFileSync(configPath, options.yaml(receivers.map((receiver) => receiver.url)));
  const acme = options.replicaOf?.acme ?? makePrincipals("acme");
  const globex = options.replicaOf?.globex ?? makePrincipals("globex");
  const env = isolatedServiceEnv(stack, namespace, {
    ...routing,
    ALERTER_EGRESS_ALLOW: "127.0.0.1/32",
    ALERTER_RETRY_INITIAL_MS: "100",
    ALERTER_POLL_MS: "50",
    // acme's admins run the deployment (ReloadConfig, TestReceiver, AuditService.Verify).
    ARGUS_PLATFORM_TENANT: "acme",
    ARGUS_API_KEYS: apiKeysJson([...Object.values(acme), ...Object.values(globex)]),
    ...options.env,
  });
  const alerter = await startAlerter(loadConfig(alerterConfigSchema, env));
  const producer: Producer = await testProducer(stack.kafkaBrokers);
  const client = new AlertServiceClient(`127.0.0.1:${alerter.grpcPort}`, credentials.createInsecure());
  return {
    namespace,
    alerter,
    receivers,
    client,
    configPath,
    acme,
    globex,
    publish: async (...findings) => {
      await producer.send({
        topic: `${namespace}.argus.findings.v1`,
        messages: findings.map((f) => ({
          key: f.fingerprint,
          value: Buffer.from(Finding.encode(f).finish()),
        })),
      });
    },
    call: (method, request, token) => unary((cb) => method.call(client, request, bearer(token), cb)),
    stop: async () => {
      client.close();
      await producer.disconnect();
      await alerter.stop();
      if (ownReceivers) await Promise.all(receivers.map((receiver) => receiver.close()));
    },
  };
}

/** A finding for alert `fingerprint` of tenant acme with routing `labels`. */
export function findingOf(
  id: string,
  fingerprint: string,
  labels: Record<string, string>,
  overrides: Partial<Finding> = {},
): Finding {
  return Finding.fromPartial({
    findingId: id,
    kind: FindingKind.FINDING_KIND_DRIFT,
    severity: labels.severity === "critical" ? Severity.SEVERITY_CRITICAL : Severity.SEVERITY_WARNING,
    modelId: labels.model ?? "credit-risk",
    tenant: "acme",
    fingerprint,
    summary: `${fingerprint} (${id})`,
    evidence: { finding: id },
    labels,
    observedAt: new Date(),
    detector: "test",
    ...overrides,
  });
}

/** Waits until `predicate` holds, polling every 50 ms; fails with `describe()` after `timeoutMs`. */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  predicate: (value: T) => boolean,
  timeoutMs: number,
  describe: (value: T) => string = (value) => JSON.stringify(value),
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${describe(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Alerts of the notifications a receiver accepted (argus payload), in arrival order. */
export function deliveredBodies(receiver: WebhookReceiver): { id: string; at: number; body: ArgusBody }[] {
  return receiver.received
    .filter((w) => w.verified && w.answered >= 200 && w.answered < 300)
    .map((w) => ({ id: w.id, at: w.receivedAt, body: w.body as ArgusBody }));
}

export interface ArgusBody {
  type: string;
  data: {
    reason: string;
    groupKey: string;
    status: string;
    groupLabels: Record<string, string>;
    alerts: { fingerprint: string; status: string; acknowledged: boolean }[];
  };
}

export type { Alert };
