import { createHash, randomBytes } from "node:crypto";
import type { ConditionalWrites, EvidenceSealer, FencedCommand, Redis } from "@argus/runtime";
import { type ClientState, emptyClientState } from "../domain/client-state.js";
import {
  type BatchPlan,
  clientKey as clientRef,
  emptyModelPartition,
  type ModelPartition,
  type ModelView,
  modelKey,
} from "../domain/detect-batch.js";
import type { ModelProfile, ScoreCalibration } from "../domain/model-profile.js";
import type { RiskReason } from "../domain/risk.js";

/** How long an erasure mark outlives the erasure: longer than any batch takes from read to write. */
const erasureMarkTtlMs = 10 * 60_000;
/** How long another partition's model part read by this process is reused (it is other traffic). */
const otherPartsTtlMs = 1_000;
/** Model parts expire with the model's silence (a month), like everything that grows with traffic. */
const modelPartTtlMs = 30 * 24 * 3_600_000;

// Erases a client if its key still holds what the caller read (ARGV[1], "" for none): sets the
// erasure mark, deletes the key, removes the client from the indexes (KEYS[3..]). Every key is in the
// client's partition slot. Replies {keys deleted, index entries removed}, or -1 when the key changed.
const eraseClientScript = `
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', tonumber(ARGV[3]))
local keys = redis.call('DEL', KEYS[1])
local entries = 0
for i = 3, #KEYS do entries = entries + redis.call('ZREM', KEYS[i], ARGV[4]) end
return { keys, entries }
`;

// Drops members of a risky-client index (KEYS[1]) whose client key (KEYS[i + 1] for ARGV[i]) is gone:
// forgotten after its silence, or erased. Index and client keys share the partition's slot.
const pruneIndexScript = `
local removed = 0
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
`;

/** A client as stored: the risk reasons (summaries and evidence) sealed into `sealed`. */
type StoredClientState = Omit<ClientState, "risk"> & {
  risk: Omit<ClientState["risk"], "reasons"> & { reasons?: RiskReason[] };
  sealed?: string;
};

export interface ClientErasure {
  keysRemoved: number;
  entriesRemoved: number;
}

/** A tenant's client: ids are only unique within a tenant. */
export interface ClientId {
  tenant: string;
  clientId: string;
}

export interface ModelId {
  tenant: string;
  modelId: string;
}

/** SHA-256 (hex): how a client appears where its id is not needed verbatim (marks, audit records). */
export function clientDigest(clientId: string, tenant = ""): string {
  return createHash("sha256")
    .update(tenant === "" ? clientId : `${tenant}\u0000${clientId}`, "utf8")
    .digest("hex");
}

const part = (value: string) => encodeURIComponent(value);

/**
 * The anomaly-detector's state in Redis, laid out per input partition (Kafka keys events by client,
 * so a client lives in one partition): a client, its erasure mark, the risky-client indexes and the
 * partition's share of each model's statistics carry the partition's hash tag, like its offset fence,
 * so a batch's write is one script in one Redis Cluster slot. What is model-wide is the merge of all
 * partitions' parts, and the frozen profile and calibration (one key per model, written once).
 * Clients expire after their silence; client risk reasons are sealed at rest (the key is the context).
 */
export class AnomalyStore {
  private readonly profiles = new Map<string, ModelProfile>();
  private readonly calibrations = new Map<string, ScoreCalibration>();
  private readonly otherParts = new Map<string, { at: number; parts: ModelPartition[] }>();
  private readonly registeredTags = new Set<string>();

  constructor(
    readonly redis: Redis,
    private readonly key: (...parts: string[]) => string,
    private readonly clientTtlMs: number,
    private readonly sealer: EvidenceSealer,
    private readonly clock: () => number = Date.now,
  ) {}

  clientKey(tag: string, tenant: string, clientId: string): string {
    return this.key(tag, "client", part(tenant), clientId);
  }

  erasureMarkKey(tag: string, tenant: string, clientId: string): string {
    return this.key(tag, "erased", clientDigest(clientId, tenant));
  }

  partKey(tag: string, tenant: string, modelId: string): string {
    return this.key(tag, "model", part(tenant), part(modelId));
  }

  riskyByTenantKey(tag: string, tenant: string): string {
    return this.key(tag, "risky", part(tenant));
  }

  riskyByModelKey(tag: string, tenant: string, modelId: string): string {
    return this.key(tag, "risky", part(tenant), part(modelId));
  }

  private modelTag(tenant: string, modelId: string): string {
    return `{model:${part(tenant)}:${part(modelId)}}`;
  }

  profileKey(tenant: string, modelId: string): string {
    return this.key("profile", this.modelTag(tenant, modelId));
  }

  calibrationKey(tenant: string, modelId: string): string {
    return this.key("calibration", this.modelTag(tenant, modelId));
  }

  /** The partitions that hold state: readers of model-wide or per-client state visit each. */
  partitionsKey(): string {
    return this.key("partitions");
  }

  /** Records that `tag` holds state (once per process and partition; idempotent). */
  async registerPartition(tag: string): Promise<void> {
    if (this.registeredTags.has(tag)) return;
    await this.redis.sadd(this.partitionsKey(), tag);
    this.registeredTags.add(tag);
  }

  private async tags(): Promise<string[]> {
    return (await this.redis.smembers(this.partitionsKey())).sort();
  }

  /**
   * What a batch of partition `tag` needs, in few round trips: its clients and their erasure marks and
   * its own model parts (one MGET in the partition's slot), the models' frozen profiles and
   * calibrations (cached once set: they never change), and the other partitions' parts (cached 1 s).
   */
  async loadBatch(
    tag: string,
    clients: ClientId[],
    models: ModelId[],
  ): Promise<{
    clients: Map<string, ClientState>;
    marks: Map<string, string>;
    models: Map<string, ModelView>;
  }> {
    const keys = [
      ...clients.map((c) => this.clientKey(tag, c.tenant, c.clientId)),
      ...clients.map((c) => this.erasureMarkKey(tag, c.tenant, c.clientId)),
      ...models.map((m) => this.partKey(tag, m.tenant, m.modelId)),
    ];
    const [values, , others] = await Promise.all([
      keys.length === 0 ? Promise.resolve([] as (string | null)[]) : this.redis.mget(keys),
      this.frozen(models),
      this.partsElsewhere(tag, models),
    ]);
    const clientStates = new Map<string, ClientState>();
    const marks = new Map<string, string>();
    clients.forEach((c, i) => {
      const value = values[i];
      const ref = clientRef(c.tenant, c.clientId);
      clientStates.set(
        ref,
        value ? this.decode(this.clientKey(tag, c.tenant, c.clientId), value) : emptyClientState(c.tenant),
      );
      marks.set(ref, values[clients.length + i] ?? "");
    });
    const views = new Map<string, ModelView>();
    models.forEach((m, i) => {
      const ref = modelKey(m.tenant, m.modelId);
      const value = values[2 * clients.length + i];
      const profile = this.profiles.get(ref);
      const calibration = this.calibrations.get(ref);
      views.set(ref, {
        own: value ? (JSON.parse(value) as ModelPartition) : emptyModelPartition(),
        others: others.get(ref) ?? [],
        ...(profile ? { profile } : {}),
        ...(calibration ? { calibration } : {}),
      });
    });
    return { clients: clientStates, marks, models: views };
  }

  /** Loads the profiles and calibrations not cached yet (they are immutable once written). */
  private async frozen(models: ModelId[]): Promise<void> {
    const missing = models.filter(
      (m) =>
        !this.profiles.has(modelKey(m.tenant, m.modelId)) ||
        !this.calibrations.has(modelKey(m.tenant, m.modelId)),
    );
    if (missing.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const m of missing) {
      pipeline.get(this.profileKey(m.tenant, m.modelId));
      pipeline.get(this.calibrationKey(m.tenant, m.modelId));
    }
    const replies = (await pipeline.exec()) ?? [];
    missing.forEach((m, i) => {
      const ref = modelKey(m.tenant, m.modelId);
      const profile = replies[2 * i]?.[1] as string | null;
      const calibration = replies[2 * i + 1]?.[1] as string | null;
      if (profile) this.profiles.set(ref, JSON.parse(profile) as ModelProfile);
      if (calibration) this.calibrations.set(ref, JSON.parse(calibration) as ScoreCalibration);
    });
  }

  private async partsElsewhere(tag: string, models: ModelId[]): Promise<Map<string, ModelPartition[]>> {
    const now = this.clock();
    const out = new Map<string, ModelPartition[]>();
    const stale = models.filter((m) => {
      const cached = this.otherParts.get(`${tag}\u0000${modelKey(m.tenant, m.modelId)}`);
      if (cached && now - cached.at < otherPartsTtlMs) {
        out.set(modelKey(m.tenant, m.modelId), cached.parts);
        return false;
      }
      return true;
    });
    if (stale.length === 0) return out;
    const tags = (await this.tags()).filter((other) => other !== tag);
    if (tags.length === 0) {
      for (const m of stale) out.set(modelKey(m.tenant, m.modelId), []);
      return out;
    }
    const pipeline = this.redis.pipeline();
    for (const m of stale) for (const other of tags) pipeline.get(this.partKey(other, m.tenant, m.modelId));
    const replies = (await pipeline.exec()) ?? [];
    stale.forEach((m, i) => {
      const parts: ModelPartition[] = [];
      tags.forEach((_, j) => {
        const value = replies[i * tags.length + j]?.[1] as string | null;
        if (value) parts.push(JSON.parse(value) as ModelPartition);
      });
      const ref = modelKey(m.tenant, m.modelId);
      this.otherParts.set(`${tag}\u0000${ref}`, { at: now, parts });
      out.set(ref, parts);
    });
    return out;
  }

  /**
   * Stores what a batch fitted for a whole model, first writer wins (SET NX): every partition then
   * scores with the same numbers. Returns nothing; the next load reads (and caches) the winner.
   */
  async storeFitted(plan: BatchPlan, models: ModelId[]): Promise<void> {
    if (plan.profiles.size === 0 && plan.calibrations.size === 0) return;
    const pipeline = this.redis.pipeline();
    for (const m of models) {
      const ref = modelKey(m.tenant, m.modelId);
      const profile = plan.profiles.get(ref);
      const calibration = plan.calibrations.get(ref);
      if (profile) pipeline.set(this.profileKey(m.tenant, m.modelId), JSON.stringify(profile), "NX");
      if (calibration)
        pipeline.set(this.calibrationKey(m.tenant, m.modelId), JSON.stringify(calibration), "NX");
      this.profiles.delete(ref);
      this.calibrations.delete(ref);
    }
    await pipeline.exec();
  }

  /** The writes of a batch's plan in partition `tag` (the caller runs them under the offset fence). */
  batchWrites(
    tag: string,
    plan: BatchPlan,
    models: ModelId[],
    clients: ClientId[],
    marks: Map<string, string>,
    riskScore: (state: ClientState) => number,
  ): { shared: FencedCommand[]; clients: ConditionalWrites[] } {
    const shared: FencedCommand[] = [];
    for (const m of models) {
      const partition = plan.partitions.get(modelKey(m.tenant, m.modelId));
      if (partition)
        shared.push([
          "SET",
          this.partKey(tag, m.tenant, m.modelId),
          JSON.stringify(partition),
          "PX",
          modelPartTtlMs,
        ]);
    }
    const conditional: ConditionalWrites[] = [];
    for (const c of clients) {
      const ref = clientRef(c.tenant, c.clientId);
      const state = plan.clients.get(ref);
      if (!state) continue;
      const key = this.clientKey(tag, c.tenant, c.clientId);
      const commands: FencedCommand[] = [["SET", key, this.encode(key, state), "PX", this.clientTtlMs]];
      const score = riskScore(state);
      if (score > 0) {
        commands.push(["ZADD", this.riskyByTenantKey(tag, c.tenant), score, c.clientId]);
        for (const modelId of Object.keys(state.models)) {
          const reason = state.risk.reasons.some((r) => r.modelId === modelId);
          if (reason)
            commands.push(["ZADD", this.riskyByModelKey(tag, c.tenant, modelId), score, c.clientId]);
        }
      }
      // Skipped when an EraseClient landed between the batch's read and its write (a new mark).
      conditional.push({
        when: { key: this.erasureMarkKey(tag, c.tenant, c.clientId), equals: marks.get(ref) ?? "" },
        commands,
      });
    }
    return { shared, clients: conditional };
  }

  /** A client of a tenant, wherever its partition is; undefined when unknown. */
  async client(tenant: string, clientId: string): Promise<ClientState | undefined> {
    return (await this.clients(tenant, [clientId]))[0];
  }

  async clients(tenant: string, clientIds: string[]): Promise<(ClientState | undefined)[]> {
    if (clientIds.length === 0) return [];
    const tags = await this.tags();
    if (tags.length === 0) return clientIds.map(() => undefined);
    const pipeline = this.redis.pipeline();
    for (const id of clientIds) for (const tag of tags) pipeline.get(this.clientKey(tag, tenant, id));
    const replies = (await pipeline.exec()) ?? [];
    return clientIds.map((id, i) => {
      for (let j = 0; j < tags.length; j++) {
        const value = replies[i * tags.length + j]?.[1] as string | null;
        if (value) return this.decode(this.clientKey(tags[j] as string, tenant, id), value);
      }
      return undefined;
    });
  }

  /** Candidates for ListRiskyClients: the highest stored scores over every partition's index. */
  async riskiest(tenant: string, modelId: string, count: number): Promise<string[]> {
    const tags = await this.tags();
    const pipeline = this.redis.pipeline();
    for (const tag of tags) {
      const index = modelId ? this.riskyByModelKey(tag, tenant, modelId) : this.riskyByTenantKey(tag, tenant);
      pipeline.zrevrange(index, 0, count - 1, "WITHSCORES");
    }
    const replies = (await pipeline.exec()) ?? [];
    const scored: { id: string; score: number }[] = [];
    for (const [, reply] of replies) {
      const flat = (reply as string[] | null) ?? [];
      for (let i = 0; i + 1 < flat.length; i += 2)
        scored.push({ id: flat[i] as string, score: Number(flat[i + 1]) });
    }
    return scored
      .sort((a, b) => b.score - a.score)
      .slice(0, count)
      .map((entry) => entry.id);
  }

  /** Removes clients from a tenant's (or a model's) indexes in every partition. */
  async dropFromIndex(tenant: string, modelId: string, clientIds: string[]): Promise<void> {
    if (clientIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const tag of await this.tags()) {
      pipeline.zrem(
        modelId ? this.riskyByModelKey(tag, tenant, modelId) : this.riskyByTenantKey(tag, tenant),
        ...clientIds,
      );
    }
    await pipeline.exec();
  }

  /**
   * Erases what this service keeps about a tenant's client in every partition: its key and its entries
   * in the tenant's and its models' risky-client indexes. An erasure mark (named by a digest, expiring
   * after 10 minutes) stops a batch that read the client before the erasure from writing it back.
   */
  async erase(clientId: string, tenant: string): Promise<ClientErasure> {
    const total: ClientErasure = { keysRemoved: 0, entriesRemoved: 0 };
    for (const tag of await this.tags()) {
      const key = this.clientKey(tag, tenant, clientId);
      let done = false;
      for (let attempt = 0; attempt < 10 && !done; attempt++) {
        const raw = await this.redis.get(key);
        // Only the model names are read: stored in the clear, so a value that no longer opens (its
        // sealing key retired) can still be erased.
        const models = raw === null ? [] : Object.keys((JSON.parse(raw) as { models?: object }).models ?? {});
        const indexes = [
          this.riskyByTenantKey(tag, tenant),
          ...models.map((m) => this.riskyByModelKey(tag, tenant, m)),
        ];
        const mark = `${Date.now()}.${randomBytes(8).toString("hex")}`;
        const reply = (await this.redis.eval(
          eraseClientScript,
          2 + indexes.length,
          key,
          this.erasureMarkKey(tag, tenant, clientId),
          ...indexes,
          raw ?? "",
          mark,
          erasureMarkTtlMs,
          clientId,
        )) as number | [number, number];
        // -1: the client was written meanwhile; read it again.
        if (Array.isArray(reply)) {
          total.keysRemoved += reply[0];
          total.entriesRemoved += reply[1];
          done = true;
        }
      }
      if (!done) throw new Error("the client kept changing while erasing it");
    }
    return total;
  }

  /**
   * Removes every risky-client index entry whose client is forgotten (its key expired after
   * ANOMALY_CLIENT_TTL_MS of silence), so that no pseudonymized id outlives its client's state.
   */
  async pruneIndexes(): Promise<number> {
    let removed = 0;
    for (const tag of await this.tags()) {
      for (const index of await this.scanKeys(this.key(tag, "risky", "*"))) {
        const tenant = decodeURIComponent(index.slice(this.key(tag, "risky", "").length).split(":")[0] ?? "");
        let cursor = "0";
        do {
          const [next, pairs] = await this.redis.zscan(index, cursor, "COUNT", 500);
          cursor = next;
          const members = pairs.filter((_, i) => i % 2 === 0);
          if (members.length > 0) {
            const clientKeys = members.map((id) => this.clientKey(tag, tenant, id));
            removed += Number(
              await this.redis.eval(
                pruneIndexScript,
                1 + clientKeys.length,
                index,
                ...clientKeys,
                ...members,
              ),
            );
          }
        } while (cursor !== "0");
      }
    }
    return removed;
  }

  private async scanKeys(pattern: string): Promise<string[]> {
    const keys = new Set<string>();
    let cursor = "0";
    do {
      const [next, found] = await this.redis.scan(cursor, "MATCH", pattern, "COUNT", 1_000);
      for (const key of found) keys.add(key);
      cursor = next;
    } while (cursor !== "0");
    return [...keys];
  }

  private encode(key: string, state: ClientState): string {
    if (!this.sealer.sealing) return JSON.stringify(state);
    const { reasons, ...risk } = state.risk;
    const sealed = this.sealer.seal(JSON.stringify(reasons), key);
    return JSON.stringify({ ...state, risk, sealed } satisfies StoredClientState);
  }

  /** A stored client; sealed reasons are opened (and must open), unsealed ones read as they are. */
  private decode(key: string, value: string): ClientState {
    const { sealed, ...stored } = JSON.parse(value) as StoredClientState;
    if (sealed === undefined) return stored as ClientState;
    const reasons = JSON.parse(this.sealer.open(sealed, key)) as RiskReason[];
    return { ...stored, risk: { ...stored.risk, reasons } };
  }
}
