import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { ArgusSdkError } from "./errors.js";
import { RecentCache } from "./recent-cache.js";

/**
 * Pseudonymization of client ids (and declared PII values) before they leave the process.
 *
 * Algorithm (stable, so a Python or Go producer can reproduce it from the same key):
 *
 *     id = "p1." + base64url(HMAC-SHA256(key, utf8(value)))      // 3 + 43 characters, no padding
 *
 * The `p1.` prefix marks the value as pseudonymous (scheme version 1) so that nobody mistakes it for a
 * raw id, and the full 256-bit MAC is kept (no truncation) so that distinct clients do not collide.
 * The key id travels next to the pseudonym (`InferenceEvent.client_id_key_id`), so keys can rotate:
 * a new active key gives every client a new pseudonym, and consumers can tell which key made which.
 */

/** A secret of at least {@link MIN_KEY_BYTES} bytes; a string is taken as its UTF-8 bytes. */
export type PseudonymizationSecret = Buffer | Uint8Array | string;

export interface PseudonymizerOptions {
  /** Every key that may be used, by key id. Key ids are written into events, secrets never. */
  keys: Record<string, PseudonymizationSecret>;
  /** The key used by {@link Pseudonymizer.pseudonymize} unless another key id is given. */
  activeKeyId: string;
  /**
   * How many pseudonyms of the active key are kept, by raw value, so that a returning client costs
   * a lookup instead of an HMAC (4 µs). The least recently used go first. Default 10 000; 0 turns
   * the cache off. It holds raw values (the same ones that pass through record()), never the key.
   */
  cachedPseudonyms?: number;
}

export interface Pseudonym {
  /** `p1.` followed by the 43-character base64url HMAC-SHA256 of the value. */
  readonly id: string;
  /** The id of the key that produced `id`. */
  readonly keyId: string;
}

export interface Pseudonymizer {
  readonly activeKeyId: string;
  /**
   * The pseudonym of `value` under the active key, or under `keyId` (any configured key, e.g. the
   * previous one while keys rotate, to look up findings recorded before the rotation).
   */
  pseudonymize(value: string, keyId?: string): Pseudonym;
}

export const MIN_KEY_BYTES = 32;
export const PSEUDONYM_PREFIX = "p1.";
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export function createPseudonymizer(options: PseudonymizerOptions): Pseudonymizer {
  const { keys, activeKeyId, cachedPseudonyms = 10_000 } = options;
  if (!Number.isInteger(cachedPseudonyms) || cachedPseudonyms < 0) {
    throw new ArgusSdkError(
      "INVALID_OPTIONS",
      `cachedPseudonyms must be an integer >= 0, got ${String(cachedPseudonyms)}`,
    );
  }
  const secrets = new Map<string, KeyObject>();
  for (const [keyId, secret] of Object.entries(keys ?? {})) {
    if (!KEY_ID_PATTERN.test(keyId)) {
      throw new ArgusSdkError(
        "INVALID_OPTIONS",
        `pseudonymization key id ${JSON.stringify(keyId)} is invalid: use 1 to 64 characters of [A-Za-z0-9._-]`,
      );
    }
    const bytes = typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
    if (bytes.length < MIN_KEY_BYTES) {
      throw new ArgusSdkError(
        "INVALID_OPTIONS",
        `pseudonymization key "${keyId}" is ${bytes.length} bytes; at least ${MIN_KEY_BYTES} bytes are required ` +
          "(e.g. 32 random bytes: `openssl rand -base64 32`, passed as a Buffer decoded from base64)",
      );
    }
    // A KeyObject holds its own copy: later changes to the caller's buffer do not change the key.
    secrets.set(keyId, createSecretKey(bytes));
    bytes.fill(0);
  }
  if (secrets.size === 0) {
    throw new ArgusSdkError("INVALID_OPTIONS", "pseudonymization needs at least one key");
  }
  if (!secrets.has(activeKeyId)) {
    throw new ArgusSdkError(
      "INVALID_OPTIONS",
      `active pseudonymization key "${activeKeyId}" is not among the configured keys (${[...secrets.keys()].join(", ")})`,
    );
  }

  // Only the active key's pseudonyms are cached: keys rotate by building a new pseudonymizer, so a
  // rotation starts from an empty cache and no pseudonym of a retired key is served from it.
  const cache = new RecentCache<string, Pseudonym>(cachedPseudonyms);
  const compute = (value: string, keyId: string): Pseudonym => {
    const key = secrets.get(keyId);
    if (key === undefined) {
      throw new ArgusSdkError("INVALID_OPTIONS", `unknown pseudonymization key "${keyId}"`);
    }
    const mac = createHmac("sha256", key).update(value, "utf8").digest("base64url");
    // Frozen: the same object goes to every caller, so none may change it for the others.
    return Object.freeze({ id: PSEUDONYM_PREFIX + mac, keyId });
  };

  return {
    activeKeyId,
    pseudonymize(value: string, keyId: string = activeKeyId): Pseudonym {
      if (typeof value !== "string" || value.length === 0) {
        throw new ArgusSdkError("INVALID_EVENT", "the value to pseudonymize must be a non-empty string");
      }
      if (keyId !== activeKeyId) return compute(value, keyId);
      let pseudonym = cache.get(value);
      if (pseudonym === undefined) {
        pseudonym = compute(value, keyId);
        cache.set(value, pseudonym);
      }
      return pseudonym;
    },
  };
}

/** Whether `value` has the shape of a pseudonym made by this module (it cannot tell which key). */
export function isPseudonym(value: string): boolean {
  return /^p1\.[A-Za-z0-9_-]{43}$/.test(value);
}
