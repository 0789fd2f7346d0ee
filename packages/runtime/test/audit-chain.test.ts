import { describe, expect, it } from "vitest";
import {
  type AuditChainItem,
  AuditChainVerifier,
  auditGenesisHash,
  auditRecordFields,
  auditRecordHash,
  canonicalJson,
  decodeAuditEntry,
  nextAuditRecord,
  type StoredAuditRecord,
  verifyAuditChain,
} from "../src/audit/chain.js";

const start = Date.parse("2026-01-01T00:00:00.000Z");

/** A valid chain of `length` records with stream-like ids. */
function chain(length: number): StoredAuditRecord[] {
  const records: StoredAuditRecord[] = [];
  for (let i = 0; i < length; i++) {
    const record = nextAuditRecord(
      records[i - 1] ?? null,
      {
        actor: i % 2 === 0 ? "alice" : "bob",
        tenant: "acme",
        action: "alert.ack",
        target: `alert-${i}`,
        detail: { reason: `r${i}`, via: "grpc" },
      },
      new Date(start + i * 1000),
    );
    records.push({ ...record, id: `${start + i}-0` });
  }
  return records;
}

/** Replaces record `index` with `change` applied, and its hash recomputed (an attacker who knows the scheme). */
function rehashed(records: StoredAuditRecord[], index: number, change: Partial<StoredAuditRecord>) {
  const copy = records.slice();
  const changed = { ...(copy[index] as StoredAuditRecord), ...change };
  copy[index] = { ...changed, hash: auditRecordHash(changed) };
  return copy;
}

function broken(records: AuditChainItem[], options = {}) {
  const result = verifyAuditChain(records, options);
  if (result.ok) throw new Error("expected a broken chain");
  return result.firstBroken;
}

describe("canonicalJson", () => {
  it("sorts keys at every depth and adds no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: "x", c: [2, { f: true, e: null }] } })).toBe(
      '{"a":{"c":[2,{"e":null,"f":true}],"d":"x"},"b":1}',
    );
  });

  it("does not depend on the order fields were added", () => {
    expect(canonicalJson({ x: "1", y: "2" })).toBe(canonicalJson({ y: "2", x: "1" }));
  });

  it("refuses what JSON cannot carry exactly", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(1n)).toThrow(TypeError);
  });
});

describe("nextAuditRecord", () => {
  it("starts at seq 1 from the genesis value and links each record to the one before", () => {
    const [first, second] = chain(2) as [StoredAuditRecord, StoredAuditRecord];
    expect(first.seq).toBe(1);
    expect(first.prev).toBe(auditGenesisHash);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(second.seq).toBe(2);
    expect(second.prev).toBe(first.hash);
  });

  it("hashes every field but the hash", () => {
    const [record] = chain(1) as [StoredAuditRecord];
    const changes: Partial<StoredAuditRecord>[] = [
      { seq: 2 },
      { at: "2026-01-01T00:00:00.001Z" },
      { actor: "mallory" },
      { tenant: "globex" },
      { action: "alert.silence" },
      { target: "alert-9" },
      { detail: { reason: "r0", via: "http" } },
      { detail: { reason: "r0", via: "grpc", extra: "" } },
      { prev: "f".repeat(64) },
    ];
    for (const change of changes) {
      expect(auditRecordHash({ ...record, ...change }), JSON.stringify(change)).not.toBe(record.hash);
    }
    // The stream id is where the record is, not what it says.
    expect(auditRecordHash({ ...record, id: "1-1" } as StoredAuditRecord)).toBe(record.hash);
  });

  it("rejects entries that are not strings", () => {
    const entry = { actor: "a", tenant: "t", action: "x", target: "", detail: {} };
    expect(() => nextAuditRecord(null, { ...entry, actor: 1 as unknown as string }, new Date())).toThrow(
      /actor/,
    );
    expect(() => nextAuditRecord(null, { ...entry, action: "" }, new Date())).toThrow(/action/);
    expect(() =>
      nextAuditRecord(null, { ...entry, detail: { n: 1 as unknown as string } }, new Date()),
    ).toThrow(/detail\.n/);
  });
});

describe("stream fields", () => {
  it("round-trip a record", () => {
    const [record] = chain(1) as [StoredAuditRecord];
    expect(decodeAuditEntry(record.id, auditRecordFields(record))).toEqual(record);
  });

  it("call an entry malformed when a field is missing, added, doubled or unreadable", () => {
    const [record] = chain(1) as [StoredAuditRecord];
    const fields = auditRecordFields(record);
    const withField = (name: string, value: string) => {
      const copy = fields.slice();
      copy[copy.indexOf(name) + 1] = value;
      return copy;
    };
    expect(decodeAuditEntry("1-0", fields.slice(2))).toEqual({
      id: "1-0",
      malformed: "missing field(s) seq",
    });
    expect(decodeAuditEntry("1-0", [...fields, "note", "x"])).toMatchObject({
      malformed: "unexpected field note",
    });
    expect(decodeAuditEntry("1-0", [...fields, "actor", "x"])).toMatchObject({
      malformed: "field actor appears twice",
    });
    expect(decodeAuditEntry("1-0", withField("seq", "1.5"))).toMatchObject({ malformed: /seq/ });
    expect(decodeAuditEntry("1-0", withField("seq", "0"))).toMatchObject({ malformed: /seq/ });
    expect(decodeAuditEntry("1-0", withField("detail", "{"))).toMatchObject({
      malformed: "detail is not JSON",
    });
    expect(decodeAuditEntry("1-0", withField("detail", '{"a":1}'))).toMatchObject({
      malformed: "detail is not an object of strings",
    });
  });
});

describe("verifyAuditChain", () => {
  it("accepts an empty log and a valid chain of 1000 records", () => {
    expect(verifyAuditChain([])).toEqual({ ok: true, count: 0 });
    const records = chain(1000);
    expect(verifyAuditChain(records)).toEqual({ ok: true, count: 1000 });
    expect(verifyAuditChain(records, { lastSeq: 1000 })).toEqual({ ok: true, count: 1000 });
  });

  it("names a record whose field was changed", () => {
    const records = chain(10);
    for (const change of [
      { actor: "mallory" },
      { detail: { reason: "r4", via: "grpc", approvedBy: "mallory" } },
      { at: "2025-12-31T23:59:59.000Z" },
    ]) {
      const tampered = records.slice();
      tampered[4] = { ...(records[4] as StoredAuditRecord), ...change };
      const firstBroken = broken(tampered);
      expect(firstBroken).toMatchObject({ seq: 5, id: records[4]?.id });
      expect(firstBroken.reason).toMatch(/hash mismatch.*a field of this record was changed/);
    }
  });

  it("names the record after one that was changed and rehashed: its prev no longer links", () => {
    const records = chain(10);
    const firstBroken = broken(rehashed(records, 4, { actor: "mallory" }));
    expect(firstBroken).toMatchObject({ seq: 6, id: records[5]?.id });
    expect(firstBroken.reason).toMatch(
      /prev .* is not the hash of seq 5 .*rewritten and rehashed, or .*forged/,
    );
  });

  it("names a forged prev, with or without the hash recomputed", () => {
    const records = chain(10);
    const forged = { prev: (records[1] as StoredAuditRecord).hash };
    const relinked = broken(rehashed(records, 6, forged));
    expect(relinked).toMatchObject({ seq: 7, id: records[6]?.id });
    expect(relinked.reason).toMatch(/prev .* is not the hash of seq 6/);

    const tampered = records.slice();
    tampered[6] = { ...(records[6] as StoredAuditRecord), ...forged };
    expect(broken(tampered)).toMatchObject({ seq: 7, reason: expect.stringMatching(/hash mismatch/) });

    const genesis = broken(rehashed(records, 0, { prev: "1".repeat(64) }));
    expect(genesis).toMatchObject({ seq: 1, reason: expect.stringMatching(/not the genesis value/) });
  });

  it("names the record after a deleted one, and deleted first records", () => {
    const records = chain(10);
    const middle = broken([...records.slice(0, 3), ...records.slice(4)]);
    expect(middle).toMatchObject({ seq: 5, id: records[4]?.id });
    expect(middle.reason).toMatch(/seq 4 is missing before this record: deleted/);

    const several = broken([...records.slice(0, 3), ...records.slice(6)]);
    expect(several).toMatchObject({ seq: 7, reason: expect.stringMatching(/seqs 4\.\.6 are missing/) });

    const first = broken(records.slice(1));
    expect(first).toMatchObject({
      seq: 2,
      id: records[1]?.id,
      reason: expect.stringMatching(/seq 1 is missing/),
    });
  });

  it("names a deletion that renumbered the rest: the next record's prev does not link", () => {
    // Delete seq 4, then renumber and rehash seq 5 as seq 4: its prev is still the deleted record's
    // hash. (Hiding a deletion takes rewriting every record after it.)
    const records = chain(10);
    const renumbered = rehashed([...records.slice(0, 3), ...records.slice(4)], 3, { seq: 4 });
    expect(broken(renumbered)).toMatchObject({
      seq: 4,
      id: records[4]?.id,
      reason: expect.stringMatching(/is not the hash of seq 3/),
    });
  });

  it("names records deleted from the tail when the log's length is known", () => {
    const records = chain(10);
    expect(verifyAuditChain(records.slice(0, 8))).toEqual({ ok: true, count: 8 });
    expect(broken(records.slice(0, 8), { lastSeq: 10 })).toEqual({
      seq: 9,
      id: null,
      reason: expect.stringMatching(/seqs 9\.\.10 are missing at the end.*deleted from the tail/),
    });
    expect(broken([], { lastSeq: 1 })).toMatchObject({ seq: 1, id: null });
  });

  it("names reordered records", () => {
    const records = chain(10);
    const swapped = records.slice();
    [swapped[3], swapped[4]] = [records[4] as StoredAuditRecord, records[3] as StoredAuditRecord];
    const firstBroken = broken(swapped);
    expect(firstBroken).toMatchObject({ seq: 5, id: records[4]?.id });
    expect(firstBroken.reason).toMatch(
      new RegExp(
        `seq 5 stored where seq 4 was expected, and seq 4 later \\(id ${records[3]?.id}\\): reordered`,
      ),
    );

    const moved = [
      ...records.slice(0, 2),
      ...records.slice(3, 8),
      records[2] as StoredAuditRecord,
      ...records.slice(8),
    ];
    expect(broken(moved)).toMatchObject({ seq: 4, reason: expect.stringMatching(/reordered/) });
  });

  it("names a duplicated record", () => {
    const records = chain(5);
    const duplicated = [...records.slice(0, 3), records[1] as StoredAuditRecord, ...records.slice(3)];
    expect(broken(duplicated)).toMatchObject({
      seq: 2,
      reason: expect.stringMatching(/seq 2 stored after seq 3: a duplicated or reordered record/),
    });
  });

  it("names a malformed entry by the seq expected there", () => {
    const records: AuditChainItem[] = chain(5);
    records[2] = { id: "9-9", malformed: "detail is not JSON" };
    expect(broken(records)).toEqual({ seq: 3, id: "9-9", reason: "malformed entry: detail is not JSON" });
  });

  it("reports only the first break, and counts every entry read", () => {
    const records = chain(10);
    const tampered = records.slice();
    tampered[2] = { ...(records[2] as StoredAuditRecord), actor: "x" };
    tampered[7] = { ...(records[7] as StoredAuditRecord), actor: "y" };
    const result = verifyAuditChain(tampered);
    expect(result).toMatchObject({ ok: false, count: 10, firstBroken: { seq: 3 } });
  });

  it("verifies incrementally as well as at once", () => {
    const verifier = new AuditChainVerifier();
    for (const record of chain(50)) verifier.push(record);
    expect(verifier.result()).toEqual({ ok: true, count: 50 });
  });
});
