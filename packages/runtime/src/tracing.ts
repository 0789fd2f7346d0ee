import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { ConsoleSpanExporter, SimpleSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import type { IncomingHeaders } from "./kafka-port.js";

export type { Context, Span, Tracer };

/**
 * Registers a global tracer provider, context manager and W3C propagator. When something else (an
 * application, or a test with an in-memory exporter) registered a provider first, that one is kept.
 */
export function initTracing(serviceName: string, exporter: "none" | "console"): void {
  const spanProcessors: SpanProcessor[] =
    exporter === "console" ? [new SimpleSpanProcessor(new ConsoleSpanExporter())] : [];
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    spanProcessors,
  });
  if (!trace.setGlobalTracerProvider(provider)) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/** Kafka headers are Buffers (or arrays of them); propagation wants plain strings. */
export function headersToRecord(headers: IncomingHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

/** The trace context a producer put into a record's headers (ROOT when there is none). */
export function extractTraceContext(headers: Record<string, string>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** Adds `traceparent`/`tracestate` for `ctx` to a header map (Kafka headers or HTTP headers). */
export function injectTraceContext(ctx: Context, carrier: Record<string, string>): Record<string, string> {
  propagation.inject(ctx, carrier);
  return carrier;
}

/** Runs `work` inside a span that is a child of `parent`, recording failure on the span. */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  parent: Context,
  attributes: Record<string, string | number | boolean>,
  work: (span: Span, ctx: Context) => Promise<T>,
  kind: SpanKind = SpanKind.CONSUMER,
): Promise<T> {
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  const ctx = trace.setSpan(parent, span);
  try {
    return await context.with(ctx, () => work(span, ctx));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

export { ROOT_CONTEXT, SpanKind, trace };
