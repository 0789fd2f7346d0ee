import { DriftReport } from "@argus/proto";
import type { Redis } from "@argus/runtime";

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

  async get(modelId: string, windowStart: number): Promise<DriftReport | undefined> {
    const body = await this.redis.get(this.reportKey(modelId, windowStart));
    return body ? DriftReport.fromJSON(JSON.parse(body)) : undefined;
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
