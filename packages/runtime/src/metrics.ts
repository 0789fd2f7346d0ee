import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The Prometheus metrics every service exposes; services add their own to `registry`. */
export interface ServiceMetrics {
  registry: Registry;
  recordsConsumed: Counter<"topic" | "result">;
  batchSeconds: Histogram<"topic">;
  consumerLag: Gauge<"topic" | "partition">;
  findingsPublished: Counter<"kind">;
}

export function createMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: "argus_" });
  return {
    registry,
    recordsConsumed: new Counter({
      name: "argus_records_consumed_total",
      help: "Kafka records consumed, by topic and result (accepted or dead_lettered).",
      labelNames: ["topic", "result"],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: "argus_batch_duration_seconds",
      help: "Time to decode, apply and commit one consumed batch chunk.",
      labelNames: ["topic"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: "argus_consumer_lag_records",
      help: "Records between the last consumed offset and the partition's high watermark.",
      labelNames: ["topic", "partition"],
      registers: [registry],
    }),
    findingsPublished: new Counter({
      name: "argus_findings_published_total",
      help: "Findings published to the findings topic, by kind.",
      labelNames: ["kind"],
      registers: [registry],
    }),
  };
}
