import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ArgusSdkError, createPseudonymizer, isPseudonym } from "../src/index.js";

const k1 = randomBytes(32);
const k2 = randomBytes(32);

describe("createPseudonymizer", () => {
  it("is deterministic per key and follows the documented algorithm", () => {
    const p = createPseudonymizer({ keys: { k1 }, activeKeyId: "k1" });
    const a = p.pseudonymize("alice@example.com");
    expect(a).toEqual(p.pseudonymize("alice@example.com"));
    expect(a.keyId).toBe("k1");
    expect(a.id).toBe(`p1.${createHmac("sha256", k1).update("alice@example.com").digest("base64url")}`);
    expect(a.id).toHaveLength(3 + 43);
    expect(isPseudonym(a.id)).toBe(true);
    expect(isPseudonym("alice@example.com")).toBe(false);
    expect(p.pseudonymize("bob@example.com").id).not.toBe(a.id);
  });

  it("gives different pseudonyms under different keys and can use a non-active key during rotation", () => {
    const old = createPseudonymizer({ keys: { k1, k2 }, activeKeyId: "k1" });
    const rotated = createPseudonymizer({ keys: { k1, k2 }, activeKeyId: "k2" });
    const before = old.pseudonymize("client-7");
    const after = rotated.pseudonymize("client-7");
    expect(after.keyId).toBe("k2");
    expect(after.id).not.toBe(before.id);
    expect(rotated.pseudonymize("client-7", "k1")).toEqual(before);
  });

  it("gives the same pseudonyms with its cache on, off, or after the cache has turned over", () => {
    const cached = createPseudonymizer({ keys: { k1, k2 }, activeKeyId: "k1", cachedPseudonyms: 4 });
    const uncached = createPseudonymizer({ keys: { k1, k2 }, activeKeyId: "k1", cachedPseudonyms: 0 });
    const clients = Array.from({ length: 20 }, (_, i) => `client-${i}`);
    for (let round = 0; round < 3; round++) {
      for (const client of clients) {
        expect(cached.pseudonymize(client)).toEqual(uncached.pseudonymize(client));
        expect(cached.pseudonymize(client, "k2")).toEqual(uncached.pseudonymize(client, "k2"));
      }
    }
    expect(cached.pseudonymize("client-1", "k2").keyId).toBe("k2");
  });

  it("does not let one caller change the pseudonym another caller gets", () => {
    const p = createPseudonymizer({ keys: { k1 }, activeKeyId: "k1" });
    const first = p.pseudonymize("client");
    expect(() => {
      (first as { id: string }).id = "p1.forged";
    }).toThrow(TypeError);
    expect(p.pseudonymize("client").id).not.toBe("p1.forged");
  });

  it("takes a string secret as its UTF-8 bytes", () => {
    const secret = "0123456789abcdef0123456789abcdef";
    const fromString = createPseudonymizer({ keys: { s: secret }, activeKeyId: "s" });
    const fromBuffer = createPseudonymizer({ keys: { s: Buffer.from(secret) }, activeKeyId: "s" });
    expect(fromString.pseudonymize("x")).toEqual(fromBuffer.pseudonymize("x"));
  });

  it("keeps its own copy of the key", () => {
    const key = randomBytes(32);
    const p = createPseudonymizer({ keys: { k: key }, activeKeyId: "k" });
    const before = p.pseudonymize("client");
    key.fill(1);
    expect(p.pseudonymize("client")).toEqual(before);
  });

  it("rejects short keys, naming the key id", () => {
    expect(() =>
      createPseudonymizer({ keys: { good: k1, "legacy-2023": "too short" }, activeKeyId: "good" }),
    ).toThrow(/key "legacy-2023" is 9 bytes; at least 32 bytes/);
  });

  it("rejects an active key id that is not configured, bad key ids, and empty values", () => {
    expect(() => createPseudonymizer({ keys: { k1 }, activeKeyId: "k9" })).toThrow(/"k9" is not among/);
    expect(() => createPseudonymizer({ keys: {}, activeKeyId: "k1" })).toThrow(/at least one key/);
    expect(() => createPseudonymizer({ keys: { "bad id": k1 }, activeKeyId: "bad id" })).toThrow(/key id/);
    expect(() => createPseudonymizer({ keys: { k1 }, activeKeyId: "k1", cachedPseudonyms: -1 })).toThrow(
      /cachedPseudonyms/,
    );
    const p = createPseudonymizer({ keys: { k1 }, activeKeyId: "k1" });
    expect(() => p.pseudonymize("")).toThrow(ArgusSdkError);
    expect(() => p.pseudonymize("x", "k2")).toThrow(/unknown pseudonymization key "k2"/);
  });
});
