import type { Redis } from "@argus/runtime";
import type { StoredBaseline } from "../domain/baseline-record.js";

/**
 * Baselines in Redis: the current one per model plus every earlier version (reports name the
 * version they used, so it must stay readable). Detectors cache the current one and re-read it
 * only when its version number changed, one round trip per batch for all models of the batch.
 */
export class BaselineStore {
  private readonly cache = new Map<string, StoredBaseline>();

  constructor(
    private readonly redis: Redis,
    private readonly key: (...parts: string[]) => string,
  ) {}

  private versionKey(modelId: string): string {
    return this.key("baseline", `{${modelId}}`, "version");
  }

  private bodyKey(modelId: string, version: number): string {
    return this.key("baseline", `{${modelId}}`, `v${version}`);
  }

  /** Stores `baseline` as the model's next version and returns it with that version. */
  async save(baseline: Omit<StoredBaseline, "version">): Promise<StoredBaseline> {
    const version = await this.redis.incr(this.versionKey(baseline.modelId));
    const stored: StoredBaseline = { ...baseline, version };
    await this.redis.set(this.bodyKey(baseline.modelId, version), JSON.stringify(stored));
    this.cache.set(baseline.modelId, stored);
    return stored;
  }

  async current(modelId: string): Promise<StoredBaseline | undefined> {
    return (await this.currentFor([modelId])).get(modelId);
  }

  /** Current baselines of `modelIds` (absent for models without one). */
  async currentFor(modelIds: string[]): Promise<Map<string, StoredBaseline>> {
    const result = new Map<string, StoredBaseline>();
    if (modelIds.length === 0) return result;
    const versions = await this.redis.mget(modelIds.map((modelId) => this.versionKey(modelId)));
    const stale: [string, number][] = [];
    modelIds.forEach((modelId, index) => {
      const version = versions[index] ? Number(versions[index]) : 0;
      if (version === 0) return;
      const cached = this.cache.get(modelId);
      if (cached?.version === version) result.set(modelId, cached);
      else stale.push([modelId, version]);
    });
    if (stale.length > 0) {
      const bodies = await this.redis.mget(stale.map(([modelId, version]) => this.bodyKey(modelId, version)));
      stale.forEach(([modelId], index) => {
        const body = bodies[index];
        if (!body) return;
        const baseline = JSON.parse(body) as StoredBaseline;
        this.cache.set(modelId, baseline);
        result.set(modelId, baseline);
      });
    }
    return result;
  }

  async version(modelId: string, version: number): Promise<StoredBaseline | undefined> {
    const body = await this.redis.get(this.bodyKey(modelId, version));
    return body ? (JSON.parse(body) as StoredBaseline) : undefined;
  }
}
