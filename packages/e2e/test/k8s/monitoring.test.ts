// The alert rules and the dashboard are PromQL that nothing else checks before Prometheus loads it:
// every query must parse, and use only metrics that exist or that docs/kubernetes.md proposes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  alertQueries,
  dashboardQueries,
  exportedMetrics,
  familyOf,
  parsePromQL,
  proposedMetrics,
} from "./monitoring.js";
import { repoRoot } from "./render.js";

const queries = [...alertQueries(), ...dashboardQueries()];

describe("deploy/k8s/components/monitoring", () => {
  it("has the alerts the issue asks for", () => {
    expect(alertQueries().map((query) => query.source)).toEqual(
      expect.arrayContaining([
        "alert ArgusNotificationsFailing",
        "alert ArgusConsumerStopped",
        "alert ArgusConsumerLagGrowing",
        "alert ArgusOutboxAging",
        "alert ArgusRecordsDeadLettered",
        "alert ArgusNotificationsDeadLettered",
      ]),
    );
  });

  it.each(queries.map((query) => [query.source, query] as const))("%s parses as PromQL", (_source, query) => {
    expect(parsePromQL(query.expr).errors).toEqual([]);
  });

  it("uses only metrics the services export or that docs/kubernetes.md proposes", () => {
    const known = [...exportedMetrics, ...proposedMetrics];
    const unknown = queries.flatMap((query) =>
      parsePromQL(query.expr)
        .metrics.map((metric) => familyOf(metric, known))
        .filter((family) => !known.includes(family))
        .map((family) => `${query.source}: ${family}`),
    );
    expect(unknown).toEqual([]);
    const docs = readFileSync(join(repoRoot, "docs", "kubernetes.md"), "utf8");
    for (const metric of proposedMetrics) expect(docs, metric).toContain(`\`${metric}`);
  });

  it("finds syntax errors and the metrics a query selects", () => {
    expect(parsePromQL("sum by (x (rate(a[5m]))").errors).not.toEqual([]);
    expect(
      parsePromQL('histogram_quantile(0.99, sum by (le) (rate(b_bucket{job="j"}[5m]))) > on (x) c unless d')
        .metrics,
    ).toEqual(["b_bucket", "c", "d"]);
  });
});
