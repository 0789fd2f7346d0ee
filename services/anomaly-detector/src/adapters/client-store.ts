import type { FencedCommand, Redis } from "@argus/runtime";
import { type ClientState, emptyClientState } from "../domain/client-state.js";
import { emptyOutlierModel, type OutlierModel } from "../domain/outliers.js";
import { emptyResources, type ResourceBaseline } from "../domain/resources.js";

/**
 * Per-client and per-model state of the anomaly-detector in Redis. Client keys carry the client
 * in a hash tag and expire after the client's silence, so a million one-off clients cost nothing
 * a day later; the risky-client indexes hold only clients with some risk.
 */
export class ClientStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: (...parts: string[]) => string,
    private readonly clientTtlMs: number,
  ) {}

  clientKey(clientId: string): string {
    return this.key("client", `{${clientId}}`);
  }

  resourcesKey(modelId: string, partition: number): string {
    return this.key("resources", `{${modelId}}`, `p${partition}`);
  }

  outliersKey(modelId: string, partition: number): string {
    return this.key("outliers", `{${modelId}}`, `p${partition}`);
  }

  async outlierModels(keys: string[]): Promise<Map<string, OutlierModel>> {
    const values = keys.length === 0 ? [] : await this.redis.mget(keys);
    return new Map(
      keys.map((key, i) => [
        key,
        values[i] ? (JSON.parse(values[i] as string) as OutlierModel) : emptyOutlierModel(),
      ]),
    );
  }

  riskyByModelKey(modelId: string): string {
    return this.key("risky", "model", `{${modelId}}`);
  }

  riskyByTenantKey(tenant: string): string {
    return this.key("risky", "tenant", `{${tenant}}`);
  }

  /** Client states and resource baselines a batch needs, in one round trip. */
  async load(
    clientIds: string[],
    resourceKeys: string[],
  ): Promise<{ clients: Map<string, ClientState>; resources: Map<string, ResourceBaseline> }> {
    const keys = [...clientIds.map((id) => this.clientKey(id)), ...resourceKeys];
    const values = keys.length === 0 ? [] : await this.redis.mget(keys);
    const clients = new Map<string, ClientState>();
    clientIds.forEach((id, i) => {
      const value = values[i];
      clients.set(id, value ? (JSON.parse(value) as ClientState) : emptyClientState());
    });
    const resources = new Map<string, ResourceBaseline>();
    resourceKeys.forEach((key, i) => {
      const value = values[clientIds.length + i];
      resources.set(key, value ? (JSON.parse(value) as ResourceBaseline) : emptyResources());
    });
    return { clients, resources };
  }

  async client(clientId: string): Promise<ClientState | undefined> {
    const value = await this.redis.get(this.clientKey(clientId));
    return value ? (JSON.parse(value) as ClientState) : undefined;
  }

  saveClientCommands(clientId: string, state: ClientState): FencedCommand[] {
    return [["SET", this.clientKey(clientId), JSON.stringify(state), "PX", this.clientTtlMs]];
  }

  saveResourcesCommand(key: string, baseline: ResourceBaseline): FencedCommand {
    return ["SET", key, JSON.stringify(baseline)];
  }

  indexRiskCommands(clientId: string, modelId: string, tenant: string, score: number): FencedCommand[] {
    return [
      ["ZADD", this.riskyByModelKey(modelId), score, clientId],
      ["ZADD", this.riskyByTenantKey(tenant), score, clientId],
    ];
  }

  /** Candidates for ListRiskyClients: the highest stored scores (decay is applied by the caller). */
  async riskiest(indexKey: string, count: number): Promise<string[]> {
    return this.redis.zrevrange(indexKey, 0, count - 1);
  }

  async dropFromIndex(indexKey: string, clientIds: string[]): Promise<void> {
    if (clientIds.length > 0) await this.redis.zrem(indexKey, ...clientIds);
  }

  async clients(clientIds: string[]): Promise<(ClientState | undefined)[]> {
    if (clientIds.length === 0) return [];
    const values = await this.redis.mget(clientIds.map((id) => this.clientKey(id)));
    return values.map((value) => (value ? (JSON.parse(value) as ClientState) : undefined));
  }
}
