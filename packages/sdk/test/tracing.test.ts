import { randomBytes } from "node:crypto";
import {
  type Context,
  type ContextManager,
  context,
  createTraceState,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMonitor } from "../src/index.js";
import { FakeProducer } from "./fake-producer.js";

/** Synchronous context manager: enough for `context.with` around a synchronous record() call. */
class StackContextManager implements ContextManager {
  private stack: Context[] = [];
  active(): Context {
    return this.stack.at(-1) ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.stack.pop();
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.stack = [];
    return this;
  }
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const keys = { k1: randomBytes(32) };

beforeAll(() => {
  context.setGlobalContextManager(new StackContextManager());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  propagation.disable();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

function setup() {
  const producer = new FakeProducer();
  // No tracer option: the default tracer comes from the globally registered provider.
  const monitor = createMonitor({
    producer,
    modelId: "m",
    modelVersion: "1",
    pseudonymization: { keys, activeKeyId: "k1" },
  });
  return { producer, monitor };
}

describe("trace context", () => {
  it("puts the argus.sdk.record span into the traceparent header", async () => {
    const { producer, monitor } = setup();
    await monitor.record({ clientId: "alice", features: { x: 1 }, output: { regression: 1 } });
    await monitor.flush();

    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe("argus.sdk.record");
    expect(span?.kind).toBe(SpanKind.PRODUCER);
    expect(span?.attributes).toMatchObject({
      "messaging.system": "kafka",
      "messaging.destination.name": "argus.inference.v1",
      "argus.model.id": "m",
    });
    expect(JSON.stringify(span?.attributes)).not.toContain("alice");
    const { traceId, spanId } = span?.spanContext() ?? {};
    const headers = producer.messages[0]?.headers;
    expect(headers?.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(span?.attributes["messaging.message.id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("makes the record span a child of the active span and carries its tracestate", async () => {
    const { producer, monitor } = setup();
    const parent = trace.wrapSpanContext({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState("vendor=abc"),
      isRemote: true,
    });
    const recorded = context.with(trace.setSpan(context.active(), parent), () =>
      monitor.record({ clientId: "alice", features: { x: 1 }, output: { regression: 1 } }),
    );
    await recorded;
    await monitor.flush();

    const [span] = exporter.getFinishedSpans();
    expect(span?.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(span?.spanContext().traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    const headers = producer.messages[0]?.headers;
    expect(headers?.traceparent).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${span?.spanContext().spanId}-01`);
    expect(headers?.tracestate).toBe("vendor=abc");
  });

  it("marks the span as failed when the event is invalid", async () => {
    const { monitor } = setup();
    await expect(
      monitor.record({ clientId: "alice", features: { x: Number.NaN }, output: { regression: 1 } }),
    ).rejects.toThrow();
    const [span] = exporter.getFinishedSpans();
    expect(span?.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(span?.events.map((e) => e.name)).toContain("exception");
  });

  it("sends no traceparent when the application registered no propagator", async () => {
    propagation.disable();
    try {
      const { producer, monitor } = setup();
      await monitor.record({ clientId: "alice", features: { x: 1 }, output: { regression: 1 } });
      await monitor.flush();
      expect(producer.messages[0]?.headers).toEqual({
        "content-type": "application/x-protobuf",
        "argus-schema": "argus.v1.InferenceEvent",
      });
    } finally {
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    }
  });
});
