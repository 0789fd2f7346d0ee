// Sealing of evidence at rest: AES-256-GCM (node:crypto), one random 96-bit IV per value, and the
// record the value belongs to (its Redis key, or a record kind) as additional authenticated data, so
// a sealed value copied into another record does not open. Keys rotate: one key seals, every
// configured key opens.
//
//     v1.<keyId>.<iv b64url>.<ciphertext b64url>.<tag b64url>
//
// The additional authenticated data is utf8("v1." + keyId + "." + context): the header is bound to
// the ciphertext as well.
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from "node:crypto";
import { z } from "zod";
import { ConfigError } from "./config.js";

/** Variables of the services that keep evidence at rest (spread into their config schemas). */
export const evidenceConfigShape = {
  /** JSON {"<key id>": "<base64 of 32 random bytes>", …}: every key that may open sealed evidence. */
  ARGUS_EVIDENCE_KEYS: z.string().optional(),
  /** The id of the key in ARGUS_EVIDENCE_KEYS that seals new evidence (the others only open). */
  ARGUS_EVIDENCE_KEY_ID: z.string().optional(),
  /** Development only: keep evidence unsealed. Without keys a service refuses to start unless this is true. */
  ARGUS_EVIDENCE_PLAINTEXT: z.stringbool().default(false),
};

export interface EvidenceConfig {
  ARGUS_EVIDENCE_KEYS?: string | undefined;
  ARGUS_EVIDENCE_KEY_ID?: string | undefined;
  ARGUS_EVIDENCE_PLAINTEXT: boolean;
}

/** A sealed value that does not open: unknown key id, tampered, malformed, or of another record. */
export class SealedValueError extends Error {
  override readonly name = "SealedValueError";
}

export interface EvidenceSealer {
  /** False in development plaintext mode (ARGUS_EVIDENCE_PLAINTEXT=true): stores keep values clear. */
  readonly sealing: boolean;
  /** The key id that seals (undefined in plaintext mode). */
  readonly keyId: string | undefined;
  /** Seals `plaintext` for the record `context`; in plaintext mode it throws (stores check `sealing`). */
  seal(plaintext: string, context: string): string;
  /** Opens a value sealed for `context`; throws SealedValueError when it does not open. */
  open(sealed: string, context: string): string;
}

const version = "v1";
const keyBytes = 32;
const ivBytes = 12;
const tagBytes = 16;
const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/;
const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$|^[A-Za-z0-9_-]+$/;

/** Whether `value` has the shape of a sealed value (it may still not open). */
export function isSealed(value: string): boolean {
  return value.startsWith(`${version}.`) && value.split(".").length === 5;
}

/** A sealer over `keys` (32 bytes each) that seals with `currentKeyId`. */
export function createEvidenceSealer(keys: Record<string, Uint8Array>, currentKeyId: string): EvidenceSealer {
  const secrets = new Map<string, KeyObject>();
  for (const [id, bytes] of Object.entries(keys)) {
    if (!keyIdPattern.test(id)) throw new TypeError(`evidence key id ${JSON.stringify(id)} is invalid`);
    if (bytes.length !== keyBytes) throw new TypeError(`evidence key "${id}" is not ${keyBytes} bytes`);
    secrets.set(id, createSecretKey(Buffer.from(bytes)));
  }
  const current = secrets.get(currentKeyId);
  if (!current) throw new TypeError(`evidence key "${currentKeyId}" is not among the keys`);
  const aad = (id: string, context: string) => Buffer.from(`${version}.${id}.${context}`, "utf8");
  return {
    sealing: true,
    keyId: currentKeyId,
    seal(plaintext, context) {
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv("aes-256-gcm", current, iv, { authTagLength: tagBytes });
      cipher.setAAD(aad(currentKeyId, context));
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const parts = [iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString("base64url"));
      return [version, currentKeyId, ...parts].join(".");
    },
    open(sealed, context) {
      const parts = sealed.split(".");
      if (parts.length !== 5 || parts[0] !== version)
        throw new SealedValueError("not a sealed value (v1.<keyId>.<iv>.<ciphertext>.<tag>)");
      const [, id, ivText, ciphertextText, tagText] = parts as [string, string, string, string, string];
      const key = secrets.get(id);
      if (!key)
        throw new SealedValueError(
          `sealed with evidence key "${id.slice(0, 32)}", which is not in ARGUS_EVIDENCE_KEYS`,
        );
      const iv = Buffer.from(ivText, "base64url");
      const tag = Buffer.from(tagText, "base64url");
      if (iv.length !== ivBytes || tag.length !== tagBytes)
        throw new SealedValueError("malformed sealed value (IV or tag of the wrong length)");
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: tagBytes });
        decipher.setAAD(aad(id, context));
        decipher.setAuthTag(tag);
        return Buffer.concat([
          decipher.update(Buffer.from(ciphertextText, "base64url")),
          decipher.final(),
        ]).toString("utf8");
      } catch (error) {
        // The context is a Redis key and may name a client: it stays out of the message.
        throw new SealedValueError(
          `sealed value does not open with key "${id}": it was changed, or it belongs to another record`,
          { cause: error },
        );
      }
    },
  };
}

/** Development plaintext mode: nothing is sealed, and a sealed value found in Redis cannot be opened. */
export const plaintextEvidence: EvidenceSealer = {
  sealing: false,
  keyId: undefined,
  seal() {
    throw new SealedValueError("evidence sealing is off (ARGUS_EVIDENCE_PLAINTEXT=true)");
  },
  open() {
    throw new SealedValueError(
      "found sealed evidence but no ARGUS_EVIDENCE_KEYS are configured (ARGUS_EVIDENCE_PLAINTEXT=true)",
    );
  },
};

/**
 * The sealer the configuration asks for. Throws a ConfigError naming each bad variable (never a key):
 * keys that are not JSON, not base64 or not 32 bytes; a sealing key id that is missing or not among
 * the keys; no keys without ARGUS_EVIDENCE_PLAINTEXT=true; keys and plaintext mode together.
 */
export function evidenceSealerFromConfig(config: EvidenceConfig): EvidenceSealer {
  const issues: string[] = [];
  const keysText = config.ARGUS_EVIDENCE_KEYS;
  const keyId = config.ARGUS_EVIDENCE_KEY_ID;
  if (keysText === undefined) {
    if (keyId !== undefined) issues.push("ARGUS_EVIDENCE_KEY_ID: has no effect without ARGUS_EVIDENCE_KEYS");
    if (!config.ARGUS_EVIDENCE_PLAINTEXT)
      issues.push(
        'ARGUS_EVIDENCE_KEYS: is required: JSON {"<key id>": "<base64 of 32 random bytes>"} ' +
          "(e.g. openssl rand -base64 32), with ARGUS_EVIDENCE_KEY_ID naming the key that seals; " +
          "only for development, ARGUS_EVIDENCE_PLAINTEXT=true keeps evidence unsealed",
      );
    if (issues.length > 0) throw configError(issues);
    return plaintextEvidence;
  }
  if (config.ARGUS_EVIDENCE_PLAINTEXT)
    issues.push("ARGUS_EVIDENCE_PLAINTEXT: and ARGUS_EVIDENCE_KEYS: set one, not both");
  const keys = parseKeys(keysText, issues);
  if (keyId === undefined)
    issues.push("ARGUS_EVIDENCE_KEY_ID: is required when ARGUS_EVIDENCE_KEYS is set (the key that seals)");
  else if (keys !== undefined && !(keyId in keys))
    issues.push(
      // Shown only when it looks like an id: a key pasted here by mistake is never echoed.
      `ARGUS_EVIDENCE_KEY_ID: ${keyIdPattern.test(keyId) ? `"${keyId}" ` : ""}is not a key of ARGUS_EVIDENCE_KEYS (${Object.keys(keys).join(", ")})`,
    );
  if (issues.length > 0 || keys === undefined || keyId === undefined) throw configError(issues);
  return createEvidenceSealer(keys, keyId);
}

function parseKeys(text: string, issues: string[]): Record<string, Buffer> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The text may be a key pasted on its own: it is never echoed.
    issues.push('ARGUS_EVIDENCE_KEYS: is not JSON; expected {"<key id>": "<base64 of 32 bytes>"}');
    return undefined;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    issues.push('ARGUS_EVIDENCE_KEYS: must be a JSON object {"<key id>": "<base64 of 32 bytes>"}');
    return undefined;
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) issues.push("ARGUS_EVIDENCE_KEYS: holds no key");
  const keys: Record<string, Buffer> = {};
  const before = issues.length;
  for (const [id, value] of entries) {
    const name = keyIdPattern.test(id) ? `"${id}"` : "";
    if (!name) {
      issues.push(`ARGUS_EVIDENCE_KEYS: a key id is not 1-32 characters of [A-Za-z0-9_-]`);
      continue;
    }
    if (
      typeof value !== "string" ||
      !base64Pattern.test(value) ||
      value.replace(/=+$/, "").length % 4 === 1
    ) {
      issues.push(`ARGUS_EVIDENCE_KEYS: key ${name} is not base64`);
      continue;
    }
    const bytes = Buffer.from(value, value.includes("-") || value.includes("_") ? "base64url" : "base64");
    if (bytes.length !== keyBytes) {
      issues.push(
        `ARGUS_EVIDENCE_KEYS: key ${name} is ${bytes.length} bytes, must be ${keyBytes} (openssl rand -base64 32)`,
      );
      continue;
    }
    keys[id] = bytes;
  }
  return issues.length === before && entries.length > 0 ? keys : undefined;
}

function configError(issues: string[]): ConfigError {
  return new ConfigError(`invalid configuration:\n${issues.map((issue) => `  ${issue}`).join("\n")}`);
}

/** A stored record whose sealed fields are folded into `sealed`. */
export type SealedRecord<T, K extends keyof T> = Omit<T, K> & { sealed?: string };

/**
 * The record as stored: `fields` sealed together (as JSON) into `sealed`, for the record `context`.
 * In plaintext mode the record is returned as it is.
 */
export function sealFields<T extends object, K extends keyof T>(
  sealer: EvidenceSealer,
  context: string,
  record: T,
  fields: readonly K[],
): SealedRecord<T, K> | T {
  if (!sealer.sealing) return record;
  const rest = { ...record } as Record<string, unknown>;
  const hidden: Record<string, unknown> = {};
  for (const field of fields) {
    hidden[field as string] = rest[field as string];
    delete rest[field as string];
  }
  return { ...rest, sealed: sealer.seal(JSON.stringify(hidden), context) } as SealedRecord<T, K>;
}

/**
 * The record as read: a `sealed` field opened (it must open, whatever the mode) and its fields put
 * back; a record without one (written in plaintext mode, or before sealing was turned on) as it is.
 */
export function openFields<T>(sealer: EvidenceSealer, context: string, stored: Record<string, unknown>): T {
  const { sealed, ...rest } = stored;
  if (sealed === undefined) return stored as T;
  if (typeof sealed !== "string") throw new SealedValueError("the record's sealed field is not a string");
  const hidden = JSON.parse(sealer.open(sealed, context)) as Record<string, unknown>;
  return { ...rest, ...hidden } as T;
}
