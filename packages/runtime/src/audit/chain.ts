// The audit log's hash chain, free of I/O: building records, their stream encoding, verification.
import { createHash } from "node:crypto";

/** What happened: who did what to which object, in which tenant. */
export interface AuditEntry {
  actor: string;
  tenant: string;
  action: string;
  target: string;
  detail: Record<string, string>;
}

/**
 * One link of the chain. `hash` is SHA-256 (hex) over the canonical JSON of every other field
 * (see `auditRecordHash`); `prev` is the hash of the record before, `auditGenesisHash` for seq 1.
 */
export interface AuditRecord extends AuditEntry {
  /** 1, 2, 3, … without gaps. */
  seq: number;
  /** ISO-8601 time of the append, from the appender's clock. */
  at: string;
  prev: string;
  hash: string;
}

/** A record as stored: with the id of its Redis stream entry. */
export interface StoredAuditRecord extends AuditRecord {
  id: string;
}

/** A stream entry that is not a well-formed record (a field missing, added, or unreadable). */
export interface MalformedAuditEntry {
  id: string;
  malformed: string;
}

export type AuditChainItem = StoredAuditRecord | MalformedAuditEntry;

/** The `prev` of the first record. */
export const auditGenesisHash = "0".repeat(64);

/**
 * JSON with the keys of every object sorted (by UTF-16 code units, JavaScript's default sort) and
 * no whitespace: one byte string per value, whoever serializes it.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    const members = Object.keys(object)
      .sort()
      .filter((key) => object[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`);
    return `{${members.join(",")}}`;
  }
  if (typeof value === "string" || typeof value === "boolean" || value === null) return JSON.stringify(value);
  if (typeof value === "number" && Number.isFinite(value)) return JSON.stringify(value);
  throw new TypeError(`cannot serialize ${typeof value} ${String(value)} canonically`);
}

/** SHA-256 (hex) over the canonical JSON of every field of the record but `hash` (and `id`). */
export function auditRecordHash(record: Omit<AuditRecord, "hash">): string {
  const { seq, at, actor, tenant, action, target, detail, prev } = record;
  return createHash("sha256")
    .update(canonicalJson({ seq, at, actor, tenant, action, target, detail, prev }), "utf8")
    .digest("hex");
}

/** Checks an entry before it is appended; throws a TypeError naming the bad field. */
export function assertAuditEntry(entry: AuditEntry): void {
  for (const field of ["actor", "tenant", "action", "target"] as const) {
    if (typeof entry[field] !== "string") throw new TypeError(`audit entry: ${field} must be a string`);
  }
  if (entry.action === "") throw new TypeError("audit entry: action must not be empty");
  if (entry.detail === null || typeof entry.detail !== "object" || Array.isArray(entry.detail)) {
    throw new TypeError("audit entry: detail must be an object of strings");
  }
  for (const [key, value] of Object.entries(entry.detail)) {
    if (typeof value !== "string") throw new TypeError(`audit entry: detail.${key} must be a string`);
  }
}

/** The record that follows `previous` (null: the first record of the log). */
export function nextAuditRecord(
  previous: { seq: number; hash: string } | null,
  entry: AuditEntry,
  at: Date,
): AuditRecord {
  assertAuditEntry(entry);
  const unhashed = {
    seq: previous === null ? 1 : previous.seq + 1,
    at: at.toISOString(),
    actor: entry.actor,
    tenant: entry.tenant,
    action: entry.action,
    target: entry.target,
    // A copy, so that the caller changing its object later cannot change the record.
    detail: { ...entry.detail },
    prev: previous === null ? auditGenesisHash : previous.hash,
  };
  return { ...unhashed, hash: auditRecordHash(unhashed) };
}

const fieldOrder = ["seq", "at", "actor", "tenant", "action", "target", "detail", "prev", "hash"] as const;

/** The fields of a record's stream entry, flat (`[field, value, …]`), `detail` as canonical JSON. */
export function auditRecordFields(record: AuditRecord): string[] {
  return fieldOrder.flatMap((field) => {
    const value = record[field];
    return [field, field === "detail" ? canonicalJson(value) : String(value)];
  });
}

/** Reads a stream entry back; anything but exactly the fields `auditRecordFields` writes is malformed. */
export function decodeAuditEntry(id: string, flat: string[]): AuditChainItem {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i] as string;
    if (fields.has(name)) return { id, malformed: `field ${name} appears twice` };
    if (!(fieldOrder as readonly string[]).includes(name))
      return { id, malformed: `unexpected field ${name}` };
    fields.set(name, flat[i + 1] as string);
  }
  const missing = fieldOrder.filter((field) => !fields.has(field));
  if (missing.length > 0) return { id, malformed: `missing field(s) ${missing.join(", ")}` };
  const text = (field: (typeof fieldOrder)[number]) => fields.get(field) as string;
  if (!/^[1-9][0-9]{0,15}$/.test(text("seq")) || !Number.isSafeInteger(Number(text("seq")))) {
    return { id, malformed: `seq ${JSON.stringify(text("seq"))} is not a positive integer` };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(text("detail"));
  } catch {
    return { id, malformed: "detail is not JSON" };
  }
  if (
    detail === null ||
    typeof detail !== "object" ||
    Array.isArray(detail) ||
    Object.values(detail).some((value) => typeof value !== "string")
  ) {
    return { id, malformed: "detail is not an object of strings" };
  }
  return {
    id,
    seq: Number(text("seq")),
    at: text("at"),
    actor: text("actor"),
    tenant: text("tenant"),
    action: text("action"),
    target: text("target"),
    detail: detail as Record<string, string>,
    prev: text("prev"),
    hash: text("hash"),
  };
}

export interface BrokenAuditEntry {
  /** The seq of the broken record; for a missing record, the seq that is missing. */
  seq: number;
  /** The stream entry id of the broken record; null when the record is missing from the tail. */
  id: string | null;
  reason: string;
}

export type AuditChainResult =
  | { ok: true; count: number }
  | { ok: false; count: number; firstBroken: BrokenAuditEntry };

export interface AuditChainOptions {
  /**
   * The seq the log is known to have reached (the stream's `entries-added`, or an outside anchor
   * such as the Kafka mirror). A chain ending before it lost records from its tail, which the
   * links alone cannot show.
   */
  lastSeq?: number;
}

const short = (hash: string) => (hash.length > 12 ? `${hash.slice(0, 12)}…` : hash);

/**
 * Checks a chain record by record, in stream order, keeping O(1) state, so that a log of any
 * length can be verified page by page. Only the first break is reported: past it, the links no
 * longer say which records are genuine.
 */
export class AuditChainVerifier {
  private count = 0;
  private expectedSeq = 1;
  private expectedPrev = auditGenesisHash;
  private previousId: string | null = null;
  private broken: BrokenAuditEntry | null = null;
  /** After a jump in seq: the seq that was expected, and where it turned up later, if it did. */
  private gap: { expected: number; found: number; foundLaterAt: string | null } | null = null;

  push(item: AuditChainItem): void {
    this.count++;
    if (this.broken !== null) {
      if (this.gap && this.gap.foundLaterAt === null && "seq" in item && item.seq === this.gap.expected) {
        this.gap.foundLaterAt = item.id;
      }
      return;
    }
    if ("malformed" in item) {
      this.broken = { seq: this.expectedSeq, id: item.id, reason: `malformed entry: ${item.malformed}` };
      return;
    }
    const computed = auditRecordHash(item);
    if (computed !== item.hash) {
      this.broken = {
        seq: item.seq,
        id: item.id,
        reason: `hash mismatch (stored ${short(item.hash)}, computed ${short(computed)}): a field of this record was changed`,
      };
      return;
    }
    if (item.seq < this.expectedSeq) {
      this.broken = {
        seq: item.seq,
        id: item.id,
        reason: `seq ${item.seq} stored after seq ${this.expectedSeq - 1}: a duplicated or reordered record`,
      };
      return;
    }
    if (item.seq > this.expectedSeq) {
      // Missing or moved: which one is known once the rest of the log has been read (result()).
      this.broken = { seq: item.seq, id: item.id, reason: "" };
      this.gap = { expected: this.expectedSeq, found: item.seq, foundLaterAt: null };
      return;
    }
    if (item.prev !== this.expectedPrev) {
      this.broken = {
        seq: item.seq,
        id: item.id,
        reason:
          item.seq === 1
            ? `prev ${short(item.prev)} is not the genesis value: a forged prev`
            : `prev ${short(item.prev)} is not the hash of seq ${item.seq - 1} (id ${this.previousId}, hash ${short(this.expectedPrev)}): seq ${item.seq - 1} was rewritten and rehashed, or this prev was forged`,
      };
      return;
    }
    this.expectedSeq = item.seq + 1;
    this.expectedPrev = item.hash;
    this.previousId = item.id;
  }

  result(options: AuditChainOptions = {}): AuditChainResult {
    if (this.broken !== null) {
      let firstBroken = this.broken;
      if (this.gap !== null) {
        const { expected, found, foundLaterAt } = this.gap;
        const reason =
          foundLaterAt !== null
            ? `seq ${found} stored where seq ${expected} was expected, and seq ${expected} later (id ${foundLaterAt}): reordered records`
            : `${found - expected === 1 ? `seq ${expected} is` : `seqs ${expected}..${found - 1} are`} missing before this record: deleted`;
        firstBroken = { ...firstBroken, reason };
      }
      return { ok: false, count: this.count, firstBroken };
    }
    const last = this.expectedSeq - 1;
    if (options.lastSeq !== undefined && options.lastSeq > last) {
      const missing =
        options.lastSeq === last + 1 ? `seq ${last + 1} is` : `seqs ${last + 1}..${options.lastSeq} are`;
      return {
        ok: false,
        count: this.count,
        firstBroken: {
          seq: last + 1,
          id: null,
          reason: `${missing} missing at the end: the log reached seq ${options.lastSeq} but its last record is seq ${last}: deleted from the tail`,
        },
      };
    }
    return { ok: true, count: this.count };
  }
}

/**
 * Recomputes every hash and link of a chain given in stream order. Names the first broken entry:
 * a changed field, a deleted or reordered record, a forged prev, a malformed entry.
 */
export function verifyAuditChain(
  records: Iterable<AuditChainItem>,
  options: AuditChainOptions = {},
): AuditChainResult {
  const verifier = new AuditChainVerifier();
  for (const record of records) verifier.push(record);
  return verifier.result(options);
}
