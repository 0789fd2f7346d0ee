import { createHash, randomBytes } from "node:crypto";
import {
  type ConditionalWrites,
  type EvidenceSealer,
  type FencedCommand,
  type Redis,
  runGuarded,
} from "@argus/runtime";
import { type ClientState, emptyClientState } from "../domain/client-state.js";
import { emptyOutlierModel, type OutlierModel } from "../domain/outliers.js";
import { emptyResources, type ResourceBaseline } from "../domain/resources.js";
import type { RiskReason } from "../domain/risk.js";

/** How long an erasure mark outlives the erasure: longer than any batch takes from read to write. */
const erasureMarkTtlMs = 10 * 60_000;

// Erases a client if its key still holds what the caller read (ARGV[1], "" for none): sets the
// erasure mark, deletes the key, removes the client from the indexes (KEYS[3..]). Replies
// {keys deleted, index entries removed}, or -1 when the key changed meanwhile.
const eraseClientScript = `
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return -1 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', tonumber(ARGV[3]))
local keys = redis.call('DEL', KEYS[1])
local entries = 0
for i = 3, #KEYS do entries = entries + redis.call('ZREM', KEYS[i], ARGV[4]) end
return { keys, entries }
`;

/** A client as stored: the risk reasons (summaries and evidence) sealed into `sealed`. */
type StoredClientState = Omit<ClientState, "risk"> & {
  risk: Omit<ClientState["risk"], "reasons"> & { reasons?: RiskReason[] };
  sealed?: string;
};

// Drops members of a risky-client index (KEYS[1]) whose client key (ARGV[1] .. '{' .. id .. '}') is
// gone: forgotten after its silence, or erased. Checked and removed in one step, so a client written
// meanwhile (its key and its index entry are written together) keeps its entry. The client keys are
// not declared in KEYS: like the batch writes, this assumes one Redis node (decision 3).
const pruneIndexScript = `
local removed = 0
for i = 2, #ARGV do
  if redis.call('EXISTS', ARGV[1] .. '{' .. ARGV[i] .. '}') == 0 then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
`;

/** What EraseClient removed. */
export interface ClientErasure {
  keysRemoved: number;
  entriesRemoved: number;
}

/**
 * SHA-256 (hex) of a client id: how the client appears where its id is not needed verbatim
 * (erasure marks, PRADA calibration, the audit record of an erasure).
 */
export function clientDigest(clientId: string): string {
  return createHash("sha256").update(clientId, "utf8").digest("hex");
}

/**
 * Per-client and per-model state of the anomaly-detector in Redis. Client keys carry the client
 * in a hash tag and expire after the client's silence, so a million one-off clients cost nothing
 * a day later; the risky-client indexes hold only clients with some risk. A client's risk reasons
 * (summaries and evidence of findings) are sealed at rest with the client's key as context.
 */
export class ClientStore {
  constructor(
    readonly redis: Redis,
    private readonly key: (...parts: string[]) => string,
    private readonly clientTtlMs: number,
    private readonly sealer: EvidenceSealer,
  ) {}

  clientKey(clientId: string): string {
    return this.key("client", `{${clientId}}`);
  }

  /** Set by EraseClient (see fenced-client-write.ts); named by the client's digest, not its id. */
  erasureMarkKey(clientId: string): string {
    return this.key("erased", clientDigest(clientId));
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

  /**
   * Client states, their erasure marks (as the batch's write must find them) and resource
   * baselines a batch needs, in one round trip.
   */
  async load(
    clientIds: string[],
    resourceKeys: string[],
  ): Promise<{
    clients: Map<string, ClientState>;
    marks: Map<string, string>;
    resources: Map<string, ResourceBaseline>;
  }> {
    const keys = [
      ...clientIds.map((id) => this.clientKey(id)),
      ...clientIds.map((id) => this.erasureMarkKey(id)),
      ...resourceKeys,
    ];
    const values = keys.length === 0 ? [] : await this.redis.mget(keys);
    const clients = new Map<string, ClientState>();
    const marks = new Map<string, string>();
    clientIds.forEach((id, i) => {
      const value = values[i];
      clients.set(id, value ? this.decode(id, value) : emptyClientState());
      marks.set(id, values[clientIds.length + i] ?? "");
    });
    const resources = new Map<string, ResourceBaseline>();
    resourceKeys.forEach((key, i) => {
      const value = values[2 * clientIds.length + i];
      resources.set(key, value ? (JSON.parse(value) as ResourceBaseline) : emptyResources());
    });
    return { clients, marks, resources };
  }

  async client(clientId: string): Promise<ClientState | undefined> {
    const value = await this.redis.get(this.clientKey(clientId));
    return value ? this.decode(clientId, value) : undefined;
  }

  /**
   * A client's writes of a batch: its state (and, with risk, its index entries), stored only if no
   * erasure happened since the batch read the client (`mark` as `load` returned it).
   */
  clientWrites(
    clientId: string,
    mark: string,
    state: ClientState,
    index?: { modelId: string; tenant: string; score: number },
  ): ConditionalWrites {
    const commands: FencedCommand[] = [
      ["SET", this.clientKey(clientId), this.encode(clientId, state), "PX", this.clientTtlMs],
    ];
    if (index) {
      commands.push(["ZADD", this.riskyByModelKey(index.modelId), index.score, clientId]);
      commands.push(["ZADD", this.riskyByTenantKey(index.tenant), index.score, clientId]);
    }
    // Skipped when an EraseClient landed between the batch's read and its write (a new mark).
    return { when: { key: this.erasureMarkKey(clientId), equals: mark }, commands };
  }

  saveResourcesCommand(key: string, baseline: ResourceBaseline): FencedCommand {
    return ["SET", key, JSON.stringify(baseline)];
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
    return values.map((value, i) => (value ? this.decode(clientIds[i] as string, value) : undefined));
  }

  /**
   * Erases what this service keeps about `clientId` for `tenant`: the client's key, its entries in the
   * tenant's and every model's risky-client index, and its PRADA calibration entries in every model's
   * outlier state. A client whose state belongs to another tenant is left alone (nothing removed).
   * An erasure mark (named by the client's digest, expiring after 10 minutes) stops a batch that read
   * the client before the erasure from writing it back.
   */
  async erase(clientId: string, tenant: string): Promise<ClientErasure> {
    const clientKey = this.clientKey(clientId);
    const indexes = [
      this.riskyByTenantKey(tenant),
      ...(await this.scanKeys(this.key("risky", "model", "*"))),
    ];
    let removed: ClientErasure | null = null;
    for (let attempt = 0; attempt < 10 && removed === null; attempt++) {
      const raw = await this.redis.get(clientKey);
      // Only the tenant is read: it is stored in the clear, so a value that no longer opens (its key
      // retired) can still be erased.
      const owner = raw === null ? undefined : (JSON.parse(raw) as { tenant?: string }).tenant;
      if (owner !== undefined && owner !== tenant) return { keysRemoved: 0, entriesRemoved: 0 };
      const mark = `${Date.now()}.${randomBytes(8).toString("hex")}`;
      const reply = (await this.redis.eval(
        eraseClientScript,
        2 + indexes.length,
        clientKey,
        this.erasureMarkKey(clientId),
        ...indexes,
        raw ?? "",
        mark,
        erasureMarkTtlMs,
        clientId,
      )) as number | [number, number];
      // -1: the client was written meanwhile; read its owner again.
      if (Array.isArray(reply)) removed = { keysRemoved: reply[0], entriesRemoved: reply[1] };
    }
    if (removed === null) throw new Error("the client kept changing while erasing it");
    removed.entriesRemoved += await this.eraseFromCalibration(clientId);
    return removed;
  }

  /** Removes the client's PRADA calibration minimum from every outlier model that holds one. */
  private async eraseFromCalibration(clientId: string): Promise<number> {
    const names = [clientId, clientDigest(clientId)];
    let removed = 0;
    for (const key of await this.scanKeys(this.key("outliers", "*"))) {
      for (let attempt = 0; ; attempt++) {
        const raw = await this.redis.get(key);
        const model = raw === null ? undefined : (JSON.parse(raw) as OutlierModel);
        const minimums = { ...(model?.pradaMinW ?? {}) };
        const present = names.filter((name) => name in minimums);
        if (raw === null || present.length === 0) break;
        for (const name of present) delete minimums[name];
        // Compare-and-set: a batch that wrote the model meanwhile is not overwritten; read it again.
        const written = await runGuarded(this.redis, {
          key,
          expected: raw,
          next: JSON.stringify({ ...model, pradaMinW: minimums }),
          commands: [],
        });
        if (written) {
          removed += present.length;
          break;
        }
        if (attempt >= 20) throw new Error(`${key} kept changing while erasing a client from it`);
      }
    }
    return removed;
  }

  /**
   * Removes every risky-client index entry whose client is forgotten (its key expired after
   * ANOMALY_CLIENT_TTL_MS of silence), so that no pseudonymized id outlives its client's state.
   * Returns the number of entries removed.
   */
  async pruneIndexes(): Promise<number> {
    let removed = 0;
    for (const index of await this.scanKeys(this.key("risky", "*"))) {
      let cursor = "0";
      do {
        const [next, pairs] = await this.redis.zscan(index, cursor, "COUNT", 500);
        cursor = next;
        const members = pairs.filter((_, i) => i % 2 === 0);
        if (members.length > 0)
          removed += Number(
            await this.redis.eval(pruneIndexScript, 1, index, this.key("client", ""), ...members),
          );
      } while (cursor !== "0");
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

  private encode(clientId: string, state: ClientState): string {
    if (!this.sealer.sealing) return JSON.stringify(state);
    const { reasons, ...risk } = state.risk;
    const sealed = this.sealer.seal(JSON.stringify(reasons), this.clientKey(clientId));
    return JSON.stringify({ ...state, risk, sealed } satisfies StoredClientState);
  }

  /** A stored client; sealed reasons are opened (and must open), unsealed ones read as they are. */
  private decode(clientId: string, value: string): ClientState {
    const { sealed, ...stored } = JSON.parse(value) as StoredClientState;
    if (sealed === undefined) return stored as ClientState;
    const reasons = JSON.parse(this.sealer.open(sealed, this.clientKey(clientId))) as RiskReason[];
    return { ...stored, risk: { ...stored.risk, reasons } };
  }
}
