import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { alerterConfigSchema, startAlerter } from "@argus/alerter";
import { anomalyConfigSchema, startAnomalyDetector } from "@argus/anomaly-detector";
import { loadConfig, type RunningService } from "@argus/runtime";
import { createMonitor, type Monitor } from "@argus/sdk";
import {
  isolatedServiceEnv,
  startWebhookReceiver,
  uniqueNamespace,
  type WebhookReceiver,
} from "@argus/testkit";
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";

const schemaFile = fileURLToPath(
  new URL("../../../services/anomaly-detector/config/models.example.yaml", import.meta.url),
);

describe("one trace from the SDK to the on-call webhook", () => {
  const exporter = new InMemorySpanExporter();
  const namespace = uniqueNamespace("trace");
  const stack = { kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") };
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  let receiver: WebhookReceiver;
  let detector: RunningService;
  let alerter: RunningService;
  let monitor: Monitor;

  beforeAll(async () => {
    // Registered before the services start, so their initTracing keeps this in-memory provider.
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());

    receiver = await startWebhookReceiver(secret);
    const env = isolatedServiceEnv(stack, namespace, {
      ANOMALY_INPUT_SCHEMAS_FILE: schemaFile,
      ALERTER_WEBHOOK_URL: receiver.url,
      ALERTER_WEBHOOK_SECRET: secret,
      // The test receiver listens on loopback, which the alerter refuses unless allowlisted.
      ALERTER_EGRESS_ALLOW: "127.0.0.1/32",
    });
    detector = await startAnomalyDetector(loadConfig(anomalyConfigSchema, env));
    alerter = await startAlerter(loadConfig(alerterConfigSchema, env));
    monitor = createMonitor({
      kafka: { brokers: stack.kafkaBrokers, clientId: "trace-test" },
      topic: `${namespace}.argus.inference.v1`,
      modelId: "credit-risk",
      modelVersion: "1.0.0",
      tenant: "acme",
      pseudonymization: { keys: { k1: randomBytes(32) }, activeKeyId: "k1" },
      lingerMs: 5,
    });
  });

  afterAll(async () => {
    await monitor?.close();
    await detector?.stop();
    await alerter?.stop();
    await receiver?.close();
  });

  it("carries the SDK's trace id through detector and alerter spans into the webhook's traceparent", async () => {
    await monitor.record({
      clientId: "user-42",
      features: { age: 212, income: 50_000, debt_ratio: 0.3, employment: "employed" },
      output: { label: "approve", scores: { approve: 0.8, deny: 0.2 } },
    });
    await monitor.flush();

    const [webhook] = await receiver.waitFor(1, 60_000);
    const sdkSpan = exporter.getFinishedSpans().find((span) => span.name === "argus.sdk.record");
    expect(sdkSpan).toBeDefined();
    const traceId = sdkSpan?.spanContext().traceId as string;

    const traceparent = webhook?.headers.traceparent ?? "";
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(traceparent.split("-")[1]).toBe(traceId);

    const byName = (name: string) => exporter.getFinishedSpans().find((span) => span.name === name);
    // The delivery span ends after the receiver answered, so it may finish just after the webhook arrived.
    await vi.waitFor(() => expect(byName("alerter.deliver_webhook")).toBeDefined(), { timeout: 5_000 });
    for (const name of ["anomaly-detector.detect", "alerter.notify_decision", "alerter.deliver_webhook"]) {
      expect(byName(name)?.spanContext().traceId, name).toBe(traceId);
    }
  });
});
