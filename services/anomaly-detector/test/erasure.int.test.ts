import { FindingKind } from "@argus/proto";
import {
  createEvidenceSealer,
  createLogger,
  createRedis,
  type GuardedCommand,
  keyspace,
  partitionHashTag,
  plaintextEvidence,
  type Redis,
  runGuarded,
  SealedValueError,
} from "@argus/runtime";
import { testEvidenceKeys, uniqueNamespace } from "@argus/testkit";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AnomalyStore } from "../src/adapters/anomaly-store.js";
import { type ClientState, emptyClientModelState, emptyClientState } from "../src/domain/client-state.js";
import { type BatchPlan, clientKey } from "../src/domain/detect-batch.js";

const sealer = createEvidenceSealer(testEvidenceKeys.keys, testEvidenceKeys.keyId);

/** A client of `tenant` with one risk reason that quotes evidence. */
function riskyClient(tenant: string, clientId: string): ClientState {
  return {
    ...emptyClientState(tenant),
    models: { chat: { ...emptyClientModelState(), queries: 3, lastAtMs: 1_000 } },
    risk: {
      score: 0.6,
      updatedAtMs: 1_000,
      reasons: [
        {
          kind: FindingKind.FINDING_KIND_PROMPT_INJECTION,
          detector: "text-scanners",
          modelId: "chat",
          atMs: 1_000,
          summary: `chat: input "prompt" blocked for ${clientId}`,
          evidence: { matches: 'prompt-injection:ignore:"ignore previous instructions"', client: clientId },
        },
      ],
    },
  };
}

const TAG = partitionHashTag("inference", 0);

/** The part of a batch's plan that concerns one client. */
function planFor(tenant: string, clientId: string, state: ClientState): BatchPlan {
  return {
    partitions: new Map(),
    profiles: new Map(),
    calibrations: new Map(),
    clients: new Map([[clientKey(tenant, clientId), state]]),
    findings: [],
    confident: [],
    failures: [],
  };
}

describe("anomaly store: sealed reasons, erasure, and no resurrection by an in-flight batch (real Redis)", () => {
  let redis: Redis;
  let namespace: string;
  let store: AnomalyStore;
  let fence = 0;

  beforeAll(() => {
    redis = createRedis(inject("redisUrl"), createLogger("client-store-test", "silent"));
  });

  afterAll(() => redis?.disconnect());

  async function fresh(): Promise<AnomalyStore> {
    namespace = uniqueNamespace("clients");
    store = new AnomalyStore(redis, keyspace(namespace, "anomaly-detector"), 60_000, sealer);
    await store.registerPartition(TAG);
    return store;
  }
  const clientKeyOf = (clientId: string, tenant = "acme") => store.clientKey(TAG, tenant, clientId);
  const riskyByModel = () => store.riskyByModelKey(TAG, "acme", "chat");
  const riskyByTenant = () => store.riskyByTenantKey(TAG, "acme");

  /** Writes a client as a batch would: state and risk index entries, with the fence. */
  async function writeBatch(
    clientId: string,
    mark: string,
    state: ClientState,
    shared: [string, string][] = [],
  ): Promise<boolean> {
    const expected = fence === 0 ? "" : String(fence);
    fence++;
    const writes = store.batchWrites(
      TAG,
      planFor(state.tenant, clientId, state),
      [],
      [{ tenant: state.tenant, clientId }],
      new Map([[clientKey(state.tenant, clientId), mark]]),
      () => 0.6,
    );
    return runGuarded(redis, {
      key: `${namespace}:anomaly-detector:fence:test:{inference:0}`,
      expected,
      next: String(fence),
      commands: [...writes.shared, ...shared.map(([key, value]): GuardedCommand => ["SET", key, value])],
      conditional: writes.clients,
    });
  }

  it("keeps risk reasons sealed at rest for the client's key, and reads them back", async () => {
    fence = 0;
    await fresh();
    await writeBatch("p1.alice", "", riskyClient("acme", "p1.alice"));
    const raw = (await redis.get(clientKeyOf("p1.alice"))) as string;
    expect(raw).not.toContain("ignore previous instructions");
    expect(raw).not.toContain("blocked for");
    expect(JSON.parse(raw)).toMatchObject({
      tenant: "acme",
      models: { chat: { queries: 3 } },
      risk: { score: 0.6 },
    });
    expect(JSON.parse(raw).sealed).toMatch(/^v1\.test\./);
    expect(await store.client("acme", "p1.alice")).toEqual(riskyClient("acme", "p1.alice"));

    // Copied onto another client's key, the state no longer opens: reasons cannot be moved around.
    await redis.set(clientKeyOf("p1.mallory"), raw);
    await expect(store.client("acme", "p1.mallory")).rejects.toThrow(SealedValueError);
    // A store without keys (development) cannot read it either, and says so.
    const plaintext = new AnomalyStore(
      redis,
      keyspace(namespace, "anomaly-detector"),
      60_000,
      plaintextEvidence,
    );
    await expect(plaintext.client("acme", "p1.alice")).rejects.toThrow(/no ARGUS_EVIDENCE_KEYS/);
  });

  it("erases the client's key and its risky-index entries, only for its own tenant", async () => {
    fence = 0;
    await fresh();
    await writeBatch("p1.alice", "", riskyClient("acme", "p1.alice"));
    await writeBatch("p1.bob", "", riskyClient("acme", "p1.bob"));
    expect(await store.erase("p1.alice", "globex")).toEqual({ keysRemoved: 0, entriesRemoved: 0 });
    expect(await store.client("acme", "p1.alice")).toBeDefined();

    expect(await store.erase("p1.alice", "acme")).toEqual({ keysRemoved: 1, entriesRemoved: 2 });
    expect(await store.client("acme", "p1.alice")).toBeUndefined();
    expect(await redis.zrange(riskyByModel(), 0, -1)).toEqual(["p1.bob"]);
    expect(await redis.zrange(riskyByTenant(), 0, -1)).toEqual(["p1.bob"]);
    expect(await store.client("acme", "p1.bob")).toEqual(riskyClient("acme", "p1.bob"));
    // Erasing again (or an unknown client) finds nothing and is not an error.
    expect(await store.erase("p1.alice", "acme")).toEqual({ keysRemoved: 0, entriesRemoved: 0 });
  });

  it("does not let a batch that read the client before the erasure write it back", async () => {
    fence = 0;
    await fresh();
    await writeBatch("p1.alice", "", riskyClient("acme", "p1.alice"));
    // A batch reads the client (no erasure mark yet) ...
    const read = await store.loadBatch(TAG, [{ tenant: "acme", clientId: "p1.alice" }], []);
    const mark = read.marks.get(clientKey("acme", "p1.alice")) as string;
    expect(mark).toBe("");
    // ... EraseClient runs meanwhile ...
    await store.erase("p1.alice", "acme");
    // ... and the batch's write lands: its other effects and the fence are stored, the client is not.
    const shared = store.partKey(TAG, "acme", "chat");
    expect(
      await writeBatch("p1.alice", mark, read.clients.get(clientKey("acme", "p1.alice")) as ClientState, [
        [shared, "{}"],
      ]),
    ).toBe(true);
    expect(await redis.get(shared)).toBe("{}");
    expect(await redis.exists(clientKeyOf("p1.alice"))).toBe(0);
    expect(await redis.zrange(riskyByModel(), 0, -1)).toEqual([]);

    // A batch that reads the client after the erasure starts from nothing and is stored.
    const later = await store.loadBatch(TAG, [{ tenant: "acme", clientId: "p1.alice" }], []);
    expect(later.clients.get(clientKey("acme", "p1.alice"))).toEqual(emptyClientState("acme"));
    const next = riskyClient("acme", "p1.alice");
    expect(await writeBatch("p1.alice", later.marks.get(clientKey("acme", "p1.alice")) as string, next)).toBe(
      true,
    );
    expect(await store.client("acme", "p1.alice")).toEqual(next);
    // The mark (named by digest, never by id) expires on its own.
    const markTtl = await redis.pttl(store.erasureMarkKey(TAG, "acme", "p1.alice"));
    expect(markTtl).toBeGreaterThan(0);
    expect(markTtl).toBeLessThanOrEqual(10 * 60_000);
    expect(store.erasureMarkKey(TAG, "acme", "p1.alice")).not.toContain("p1.alice");
  });

  it("sweeps index entries of clients whose state expired, keeping the live ones", async () => {
    fence = 0;
    await fresh();
    await writeBatch("p1.alice", "", riskyClient("acme", "p1.alice"));
    await writeBatch("p1.bob", "", riskyClient("acme", "p1.bob"));
    await redis.del(clientKeyOf("p1.alice")); // as its TTL would
    expect(await store.pruneIndexes()).toBe(2);
    expect(await redis.zrange(riskyByModel(), 0, -1)).toEqual(["p1.bob"]);
    expect(await redis.zrange(riskyByTenant(), 0, -1)).toEqual(["p1.bob"]);
    expect(await store.pruneIndexes()).toBe(0);
  });

  it("writes nothing when the fence moved (another replica applied the batch)", async () => {
    fence = 0;
    await fresh();
    expect(await writeBatch("p1.alice", "", riskyClient("acme", "p1.alice"))).toBe(true);
    fence = 0; // a stale replica that believes the fence is still unset
    expect(await writeBatch("p1.bob", "", riskyClient("acme", "p1.bob"))).toBe(false);
    expect(await redis.exists(clientKeyOf("p1.bob"))).toBe(0);
  });
});
