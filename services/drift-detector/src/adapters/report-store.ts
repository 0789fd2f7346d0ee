import { DriftReport, type PerformanceWindow } from "@argus/proto";
import type { Redis } from "@argus/runtime";
import { fixedPointScale } from "../domain/window-counters.js";

/** Evaluated windows' reports, per model, indexed by window start; old ones expire. */
export class ReportStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: (...parts: string[]) => string,
    private readonly retentionMs: number,
  ) {}

  private reportKey(modelId: string, windowStart: number): string {
    return this.key("report", `{${modelId}}`, String(windowStart));
  }

  private indexKey(modelId: string): string {
    return this.key("reports", `{${modelId}}`);
  }

  async exists(modelId: string, windowStart: number): Promise<boolean> {
    return (await this.redis.exists(this.reportKey(modelId, windowStart))) === 1;
  }

  async save(report: DriftReport): Promise<void> {
    const start = (report.windowStart as Date).getTime();
    const index = this.indexKey(report.modelId);
    await this.redis
      .multi()
      .set(
        this.reportKey(report.modelId, start),
        JSON.stringify(DriftReport.toJSON(report)),
        "PX",
        this.retentionMs,
      )
      .zadd(index, start, String(start))
      .zremrangebyscore(index, "-inf", start - this.retentionMs)
      .exec();
  }

  /**
   * The stored report, with the window's performance as of now: labels keep arriving after a
   * window was evaluated, so accuracy is read live rather than frozen into the report.
   */
  async get(modelId: string, windowStart: number): Promise<DriftReport | undefined> {
    const [body, performance] = await Promise.all([
      this.redis.get(this.reportKey(modelId, windowStart)),
      this.redis.hgetall(this.key("perf", `{${modelId}}`, String(windowStart))),
    ]);
    if (!body) return undefined;
    const report = DriftReport.fromJSON(JSON.parse(body));
    report.performance = performanceOf(performance);
    return report;
  }

  async latestStart(modelId: string): Promise<number | undefined> {
    const [latest] = await this.redis.zrevrange(this.indexKey(modelId), 0, 0);
    return latest === undefined ? undefined : Number(latest);
  }

  /** Reports with window start in [from, to], newest first, at most `limit`. */
  async range(modelId: string, from: number, to: number, limit: number): Promise<DriftReport[]> {
    const starts = await this.redis.zrevrangebyscore(this.indexKey(modelId), to, from, "LIMIT", 0, limit);
    if (starts.length === 0) return [];
    const bodies = await this.redis.mget(starts.map((start) => this.reportKey(modelId, Number(start))));
    return bodies
      .filter((body): body is string => body !== null)
      .map((body) => DriftReport.fromJSON(JSON.parse(body)));
  }
}

function performanceOf(hash: Record<string, string>): PerformanceWindow | undefined {
  const labelled = Number(hash.labelled ?? 0);
  if (labelled === 0) return undefined;
  const classification = hash.wrong !== undefined;
  const detector = ["adwin", "page_hinkley"].filter((name) => hash[`change:${name}`] !== undefined).join(",");
  const value = classification
    ? 1 - Number(hash.wrong) / labelled
    : Number(hash.abs_error ?? 0) / fixedPointScale / labelled;
  // The model's error level before this window's labels; a model's first labelled window has none
  // before it and is its own reference.
  const referenceError =
    hash.ref_error === undefined || hash.ref_error === "none" ? undefined : Number(hash.ref_error);
  return {
    labelled,
    metric: classification ? "accuracy" : "mae",
    value,
    referenceValue:
      referenceError === undefined ? value : classification ? 1 - referenceError : referenceError,
    changeDetected: detector !== "",
    detector,
  };
}
