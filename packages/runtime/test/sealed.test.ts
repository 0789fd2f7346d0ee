import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/config.js";
import {
  createEvidenceSealer,
  evidenceSealerFromConfig,
  isSealed,
  openFields,
  plaintextEvidence,
  SealedValueError,
  sealFields,
} from "../src/sealed.js";

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const context = "argus:alerter:alert:fp-1";

/** The ConfigError's message for `config`; fails the test when the configuration is accepted. */
function refusal(config: Parameters<typeof evidenceSealerFromConfig>[0]): string {
  try {
    evidenceSealerFromConfig(config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error("expected a ConfigError");
}

/** Replaces part `index` of a sealed value (0 version, 1 key id, 2 IV, 3 ciphertext, 4 tag). */
function withPart(sealed: string, index: number, change: (part: string) => string): string {
  const parts = sealed.split(".");
  parts[index] = change(parts[index] as string);
  return parts.join(".");
}

/** Flips the lowest bit of the first byte of a base64url part. */
const flipFirstByte = (part: string) => {
  const bytes = Buffer.from(part, "base64url");
  bytes[0] = (bytes[0] as number) ^ 1;
  return bytes.toString("base64url");
};

describe("sealed evidence (AES-256-GCM)", () => {
  it("round-trips text, in the documented format, without the plaintext in it", () => {
    const sealer = createEvidenceSealer({ k1 }, "k1");
    for (const text of ["", "ignore previous instructions", "ümlaut ✓ 🦀", "x".repeat(100_000)]) {
      const sealed = sealer.seal(text, context);
      expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{22}$/);
      expect(isSealed(sealed)).toBe(true);
      if (text.length > 3) expect(sealed).not.toContain(text);
      expect(sealer.open(sealed, context)).toBe(text);
    }
  });

  it("rotates: after k2 becomes the sealing key, values sealed with k1 still open, new ones are k2's", () => {
    const before = createEvidenceSealer({ k1 }, "k1");
    const old = before.seal("evidence from before the rotation", context);
    const after = createEvidenceSealer({ k2, k1 }, "k2");
    expect(after.open(old, context)).toBe("evidence from before the rotation");
    const fresh = after.seal("evidence after", context);
    expect(fresh.startsWith("v1.k2.")).toBe(true);
    // Once k1 is dropped, what it sealed no longer opens, and says which key it needs.
    const k1Dropped = createEvidenceSealer({ k2 }, "k2");
    expect(k1Dropped.open(fresh, context)).toBe("evidence after");
    expect(() => k1Dropped.open(old, context)).toThrow(/key "k1", which is not in ARGUS_EVIDENCE_KEYS/);
  });

  it("refuses a tampered IV, ciphertext or tag, and a truncated value", () => {
    const sealer = createEvidenceSealer({ k1 }, "k1");
    const sealed = sealer.seal("matched: ignore all previous instructions", context);
    for (const index of [2, 3, 4]) {
      expect(() => sealer.open(withPart(sealed, index, flipFirstByte), context), `part ${index}`).toThrow(
        SealedValueError,
      );
    }
    expect(() =>
      sealer.open(
        withPart(sealed, 4, (tag) => tag.slice(0, 10)),
        context,
      ),
    ).toThrow(/wrong length/);
    expect(() => sealer.open(sealed.split(".").slice(0, 4).join("."), context)).toThrow(/not a sealed value/);
    expect(() => sealer.open('{"summary":"plain"}', context)).toThrow(/not a sealed value/);
  });

  it("binds a value to its record: it does not open under another context", () => {
    const sealer = createEvidenceSealer({ k1 }, "k1");
    const sealed = sealer.seal("client p1.abc's evidence", "argus:anomaly-detector:client:{p1.abc}");
    expect(() => sealer.open(sealed, "argus:anomaly-detector:client:{p1.xyz}")).toThrow(
      /belongs to another record/,
    );
    // The message does not carry the context (a Redis key naming a client).
    expect(() => sealer.open(sealed, "argus:anomaly-detector:client:{p1.xyz}")).not.toThrow(/p1\./);
  });

  it("refuses a value whose key id was changed, even to a key it knows", () => {
    const sealer = createEvidenceSealer({ k1, k2 }, "k1");
    const sealed = sealer.seal("evidence", context);
    expect(() =>
      sealer.open(
        withPart(sealed, 1, () => "k2"),
        context,
      ),
    ).toThrow(SealedValueError);
    expect(() =>
      sealer.open(
        withPart(sealed, 1, () => "k9"),
        context,
      ),
    ).toThrow(/key "k9"/);
  });

  it("draws a fresh IV for every value: sealing the same text twice gives different values", () => {
    const sealer = createEvidenceSealer({ k1 }, "k1");
    const ivs = new Set<string>();
    const values = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const sealed = sealer.seal("same evidence", context);
      values.add(sealed);
      ivs.add(sealed.split(".")[2] as string);
    }
    expect(ivs.size).toBe(10_000);
    expect(values.size).toBe(10_000);
  });

  it("seals chosen fields of a record and opens them back; plaintext mode stores the record as it is", () => {
    const sealer = createEvidenceSealer({ k1 }, "k1");
    const record = { fingerprint: "fp-1", summary: "client p1.abc flagged", evidence: { client: "p1.abc" } };
    const stored = sealFields(sealer, context, record, ["summary", "evidence"] as const);
    expect(Object.keys(stored).sort()).toEqual(["fingerprint", "sealed"]);
    expect(JSON.stringify(stored)).not.toContain("p1.abc");
    expect(openFields(sealer, context, JSON.parse(JSON.stringify(stored)))).toEqual(record);
    expect(() => openFields(sealer, "argus:alerter:alert:fp-2", stored as Record<string, unknown>)).toThrow(
      SealedValueError,
    );
    // Records written before sealing was turned on (or in development) are read as they are.
    expect(openFields(sealer, context, record)).toEqual(record);
    expect(sealFields(plaintextEvidence, context, record, ["summary"] as const)).toBe(record);
    // Plaintext mode cannot open what was sealed, and says why.
    expect(() => openFields(plaintextEvidence, context, stored as Record<string, unknown>)).toThrow(
      /no ARGUS_EVIDENCE_KEYS/,
    );
  });
});

describe("evidence keys from the configuration", () => {
  const keys = (entries: Record<string, unknown>) => JSON.stringify(entries);

  it("seals with ARGUS_EVIDENCE_KEY_ID and opens with every key", () => {
    const sealer = evidenceSealerFromConfig({
      ARGUS_EVIDENCE_KEYS: keys({ k2: k2.toString("base64"), k1: k1.toString("base64url") }),
      ARGUS_EVIDENCE_KEY_ID: "k2",
      ARGUS_EVIDENCE_PLAINTEXT: false,
    });
    expect(sealer.sealing).toBe(true);
    const old = createEvidenceSealer({ k1 }, "k1").seal("old", context);
    expect(sealer.open(old, context)).toBe("old");
    expect(sealer.seal("new", context).startsWith("v1.k2.")).toBe(true);
  });

  it("refuses to run without keys unless plaintext mode is asked for explicitly", () => {
    expect(lineOf(refusal({ ARGUS_EVIDENCE_PLAINTEXT: false }), "ARGUS_EVIDENCE_KEYS")).toContain(
      "ARGUS_EVIDENCE_PLAINTEXT=true",
    );
    expect(evidenceSealerFromConfig({ ARGUS_EVIDENCE_PLAINTEXT: true })).toBe(plaintextEvidence);
    expect(
      lineOf(
        refusal({
          ARGUS_EVIDENCE_KEYS: keys({ k1: k1.toString("base64") }),
          ARGUS_EVIDENCE_KEY_ID: "k1",
          ARGUS_EVIDENCE_PLAINTEXT: true,
        }),
        "ARGUS_EVIDENCE_PLAINTEXT",
      ),
    ).toContain("not both");
    expect(
      lineOf(
        refusal({ ARGUS_EVIDENCE_KEY_ID: "k1", ARGUS_EVIDENCE_PLAINTEXT: true }),
        "ARGUS_EVIDENCE_KEY_ID",
      ),
    ).toContain("no effect");
  });

  it("names the variable for bad JSON, bad base64, a wrong length, and a missing or unknown sealing key", () => {
    const base = { ARGUS_EVIDENCE_KEY_ID: "k1", ARGUS_EVIDENCE_PLAINTEXT: false };
    const cases: [Record<string, string | undefined>, string, RegExp][] = [
      [{ ARGUS_EVIDENCE_KEYS: "not json" }, "ARGUS_EVIDENCE_KEYS", /not JSON/],
      [{ ARGUS_EVIDENCE_KEYS: "[]" }, "ARGUS_EVIDENCE_KEYS", /JSON object/],
      [{ ARGUS_EVIDENCE_KEYS: "{}" }, "ARGUS_EVIDENCE_KEYS", /no key/],
      [{ ARGUS_EVIDENCE_KEYS: keys({ k1: "not base64!" }) }, "ARGUS_EVIDENCE_KEYS", /key "k1" is not base64/],
      [{ ARGUS_EVIDENCE_KEYS: keys({ k1: 42 }) }, "ARGUS_EVIDENCE_KEYS", /key "k1" is not base64/],
      [
        { ARGUS_EVIDENCE_KEYS: keys({ k1: randomBytes(16).toString("base64") }) },
        "ARGUS_EVIDENCE_KEYS",
        /key "k1" is 16 bytes, must be 32/,
      ],
      [
        { ARGUS_EVIDENCE_KEYS: keys({ "k.1": k1.toString("base64") }) },
        "ARGUS_EVIDENCE_KEYS",
        /key id is not 1-32 characters/,
      ],
      [
        { ARGUS_EVIDENCE_KEYS: keys({ k1: k1.toString("base64") }), ARGUS_EVIDENCE_KEY_ID: undefined },
        "ARGUS_EVIDENCE_KEY_ID",
        /is required/,
      ],
      [
        { ARGUS_EVIDENCE_KEYS: keys({ k1: k1.toString("base64") }), ARGUS_EVIDENCE_KEY_ID: "k2" },
        "ARGUS_EVIDENCE_KEY_ID",
        /"k2" is not a key of ARGUS_EVIDENCE_KEYS \(k1\)/,
      ],
    ];
    for (const [override, variable, pattern] of cases) {
      const message = refusal({ ...base, ...override });
      expect(lineOf(message, variable), JSON.stringify(override)).toMatch(pattern);
    }
  });

  it("never puts a key into the error", () => {
    const short = randomBytes(31).toString("base64");
    const pasted = k1.toString("base64");
    const messages = [
      refusal({ ARGUS_EVIDENCE_KEYS: pasted, ARGUS_EVIDENCE_KEY_ID: "k1", ARGUS_EVIDENCE_PLAINTEXT: false }),
      refusal({
        ARGUS_EVIDENCE_KEYS: keys({ k1: short }),
        ARGUS_EVIDENCE_KEY_ID: "k1",
        ARGUS_EVIDENCE_PLAINTEXT: false,
      }),
      refusal({
        ARGUS_EVIDENCE_KEYS: keys({ k1: pasted }),
        ARGUS_EVIDENCE_KEY_ID: pasted,
        ARGUS_EVIDENCE_PLAINTEXT: false,
      }),
    ];
    for (const message of messages) {
      expect(message).not.toContain(pasted);
      expect(message).not.toContain(short);
      expect(message).not.toContain(pasted.slice(0, 16));
    }
  });
});

/** The message line that names `variable`. */
function lineOf(message: string, variable: string): string {
  const line = message.split("\n").find((candidate) => candidate.trimStart().startsWith(`${variable}:`));
  if (line === undefined) throw new Error(`no line names ${variable} in:\n${message}`);
  return line;
}
