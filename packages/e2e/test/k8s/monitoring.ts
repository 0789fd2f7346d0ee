// The PromQL of deploy/k8s/components/monitoring (alert rules and dashboard panels) and the metric
// names it uses, for the monitoring tests.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { parse } from "yaml";
import { k8sRoot } from "./render.js";

/** Metric families the services export today, as a running service's /metrics lists them. */
export const exportedMetrics = [
  "up", // Prometheus' own, per scraped target
  "argus_records_consumed_total",
  "argus_batch_duration_seconds",
  "argus_consumer_lag_records",
  "argus_findings_published_total",
  "argus_process_cpu_seconds_total",
  "argus_process_resident_memory_bytes",
  "argus_process_start_time_seconds",
  "argus_nodejs_eventloop_lag_p99_seconds",
];

/** Metrics the rules and the dashboard need that no service exports yet (docs/kubernetes.md). */
export const proposedMetrics = [
  "argus_alerter_notifications_total",
  "argus_alerter_outbox_oldest_age_seconds",
  "argus_consumer_group_lag_records",
];

export interface Query {
  /** Where the query is: an alert's or a panel's name. */
  source: string;
  expr: string;
}

const monitoring = join(k8sRoot, "components", "monitoring");

export function alertQueries(): Query[] {
  const rule = parse(readFileSync(join(monitoring, "prometheusrule.yaml"), "utf8")) as {
    spec: { groups: { rules: { alert: string; expr: string }[] }[] };
  };
  return rule.spec.groups.flatMap((group) =>
    group.rules.map((entry) => ({ source: `alert ${entry.alert}`, expr: entry.expr })),
  );
}

interface Panel {
  title: string;
  targets?: { expr: string }[];
}

interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; definition?: string }[] };
}

export function dashboardQueries(): Query[] {
  const dashboard = JSON.parse(
    readFileSync(join(monitoring, "dashboard", "argus.json"), "utf8"),
  ) as Dashboard;
  const panels = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ source: `panel ${panel.title}`, expr: target.expr })),
  );
  // label_values(metric, label) is Grafana's, not PromQL: its metric is checked as a selector.
  const variables = dashboard.templating.list.flatMap((variable) => {
    const metric = /^label_values\((\w+),/.exec(variable.definition ?? "")?.[1];
    return metric === undefined ? [] : [{ source: `variable ${variable.name}`, expr: metric }];
  });
  return [...panels, ...variables];
}

export interface ParsedQuery {
  /** Text around each syntax error, empty when the query parses. */
  errors: string[];
  /** The metric names it selects. */
  metrics: string[];
}

/** Parses PromQL with Prometheus' own grammar (the one its UI uses). */
export function parsePromQL(expr: string): ParsedQuery {
  const errors: string[] = [];
  const metrics: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError)
        errors.push(`at ${node.from}: "${expr.slice(Math.max(0, node.from - 10), node.to + 10)}"`);
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector")
        metrics.push(expr.slice(node.from, node.to));
    },
  });
  return { errors, metrics };
}

/** A histogram's series (_bucket, _sum, _count) belong to its family. */
export function familyOf(metric: string, families: readonly string[]): string {
  const family = metric.replace(/_(bucket|sum|count)$/, "");
  return families.includes(family) ? family : metric;
}
