import { randomUUID } from "node:crypto";
import { type Logger, type PublishFindings, type Redis, untraced } from "@argus/runtime";
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
export class WindowCloser {
  private readonly owner = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private readonly clock: () => number;

  constructor(private readonly deps: WindowCloserDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  start(): void {
    const tick = () => {
      this.pass = this.closeDue()
        .catch((error: Error) =>
          this.deps.logger.error({ err: error.message }, "window evaluation pass failed"),
        )
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.deps.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.deps.intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.pass;
  }

  /** One pass over every model's pending windows; returns when the due ones are evaluated. */
  async closeDue(): Promise<void> {
    const { windows, configs } = this.deps;
    const now = this.clock();
    const watermarks = await windows.watermarks();
    const watermark = globalWatermark(watermarks, now, this.deps.idleMs);
    if (watermark === null) return;
    for (const [modelId, tenant] of await windows.models()) {
      const config = configs.forModel(modelId);
      const lastClosable = watermark - config.windowMs - config.allowedLatenessMs;
      for (const windowStart of await windows.pendingWindows(modelId, lastClosable)) {
        await this.evaluate(modelId, tenant, windowStart);
      }
    }
  }

  private async evaluate(modelId: string, tenant: string, windowStart: number): Promise<void> {
    const { redis, key, windows, reports, baselines, configs } = this.deps;
    const lease = key("lease", `{${modelId}}`, String(windowStart));
    if ((await redis.set(lease, this.owner, "PX", this.deps.leaseMs, "NX")) !== "OK") return;
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
      await redis.eval(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
        1,
        lease,
        this.owner,
      );
    }
  }
}
