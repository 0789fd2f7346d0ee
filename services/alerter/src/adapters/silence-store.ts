import { randomUUID } from "node:crypto";
import type { Redis } from "@argus/runtime";
import {
  expireSilence,
  newSilence,
  type Silence,
  type SilenceInput,
  silenceState,
} from "../domain/silences.js";

/** Expired silences are kept this long for on-call's history, then dropped. */
const expiredRetentionMs = 5 * 24 * 3_600_000;

/** Silences in one Redis hash (id → JSON): few, read on every group flush. */
export class SilenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  /** The tenant's silences; long-expired ones are pruned on the way. */
  async list(tenant: string): Promise<Silence[]> {
    return (await this.listAll()).filter((silence) => silence.tenant === tenant);
  }

  /** Every tenant's silences (one read for a flush pass, whatever tenants its groups belong to). */
  async listAll(): Promise<Silence[]> {
    const all = Object.values(await this.redis.hgetall(this.key)).map(
      (value) => JSON.parse(value) as Silence,
    );
    const now = Date.now();
    const stale = all.filter((silence) => Date.parse(silence.endsAt) < now - expiredRetentionMs);
    if (stale.length > 0) await this.redis.hdel(this.key, ...stale.map((silence) => silence.id));
    return all.filter((silence) => !stale.includes(silence));
  }

  async create(tenant: string, input: SilenceInput, now: Date): Promise<Silence> {
    const silence = newSilence(randomUUID(), tenant, input, now);
    await this.redis.hset(this.key, silence.id, JSON.stringify(silence));
    return silence;
  }

  /** Expires the tenant's silence `id`; null when there is none (another tenant's id is "none"). */
  async expire(tenant: string, id: string, now: Date): Promise<Silence | null> {
    const raw = await this.redis.hget(this.key, id);
    if (raw === null) return null;
    const silence = JSON.parse(raw) as Silence;
    if (silence.tenant !== tenant) return null;
    if (silenceState(silence, now) === "expired") return silence;
    const expired = expireSilence(silence, now);
    await this.redis.hset(this.key, id, JSON.stringify(expired));
    return expired;
  }
}
