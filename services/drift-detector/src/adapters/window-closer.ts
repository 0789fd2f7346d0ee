import {
  type Logger,
  leaseOwner,
  PollingWorker,
  type PublishFindings,
  type Redis,
  releaseLease,
  takeLease,
  untraced,
} from "@argus/runtime";
import type { DriftConfigs } from "../domain/drift-config.js";
import { evaluateWindow } from "../domain/evaluate.js";
import { reportFindings } from "../domain/report-findings.js";
import { parseWindowState } from "../domain/window-state.js";
import { globalWatermark } from "../domain/windows.js";
import type { BaselineStore } from "./baseline-store.js";
import type { ReportStore } from "./report-store.js";
import type { WindowStore } from "./window-store.js";

export interface WindowCloserDeps {
  redis: Redis;
  key: (...parts: string[]) => string;
  windows: WindowStore;
  reports: ReportStore;
  baselines: BaselineStore;
  configs: DriftConfigs;
  publish: PublishFindings;
  logger: Logger;
  intervalMs: number;
  idleMs: number;
  leaseMs: number;
  clock?: () => number;
}

/**
 * Evaluates windows once the watermark has passed their end plus the allowed lateness. Every
 * replica runs it; a lease in Redis makes one of them evaluate a given window. Findings are
 * published before the report is stored, so a crash in between re-evaluates the (closed, hence
 * unchanged) window and republishes the same finding ids rather than losing them.
 */
export class WindowCloser extends PollingWorker {
  private readonly owner = leaseOwner();
  private readonly clock: () => number;

  constructor(private readonly deps: WindowCloserDeps) {
    super("window evaluation", deps.intervalMs, deps.logger);
    this.clock = deps.clock ?? Date.now;
  }

  /** One pass over every model's pending windows; returns when the due ones are evaluated. */
  protected async pass(): Promise<void> {
    const { windows, configs } = this.deps;
    const now = this.clock();
    const watermarks = await windows.watermarks();
    const watermark = globalWatermark(watermarks, now, this.deps.idleMs);
    if (watermark === null) return;
    for (const [modelId, tenant] of await windows.models()) {
      const config = configs.forModel(modelId);
      const lastClosable = watermark - config.windowMs - config.allowedLatenessMs;
      for (const windowStart of await windows.pendingWindows(modelId, lastClosable)) {
        // Stopping: the rest stay pending for the next replica's pass.
        if (!this.running) return;
        await this.evaluate(modelId, tenant, windowStart);
      }
    }
  }

  private async evaluate(modelId: string, tenant: string, windowStart: number): Promise<void> {
    const { redis, key, windows, reports, baselines, configs } = this.deps;
    const lease = key("lease", `{${modelId}}`, String(windowStart));
    if (!(await takeLease(redis, lease, this.owner, this.deps.leaseMs))) return;
    try {
      if (await reports.exists(modelId, windowStart)) {
        await windows.markReported(modelId, windowStart);
        return;
      }
      const hash = await windows.closeAndRead(modelId, windowStart);
      const state = parseWindowState(hash);
      const config = configs.forModel(modelId);
      const report = evaluateWindow(
        { modelId, windowStart, windowMs: config.windowMs, state },
        await baselines.current(modelId),
        config,
        new Date(this.clock()),
      );
      const findings = reportFindings(report, tenant);
      await this.deps.publish(untraced(findings));
      await reports.save(report);
      await windows.markReported(modelId, windowStart);
      // Reported: from now on only a FROZEN_WINDOW baseline reads it, and the packed form will do.
      await windows.compact(modelId, windowStart, hash);
      this.deps.logger.info(
        {
          modelId,
          windowStart: new Date(windowStart).toISOString(),
          events: state.events,
          status: report.status,
        },
        "window evaluated",
      );
    } finally {
      await releaseLease(redis, lease, this.owner);
    }
  }
}
