import { readFileSync } from "node:fs";
import { type ConnectionOptions, createSecureContext } from "node:tls";
import { ConfigError } from "./config.js";

// Credentials and TLS of the connections to Kafka and Redis: files are read once at start-up and a
// file that is missing, empty or not PEM stops it with the variable named. Secrets themselves never
// go into a message.

/**
 * The secret in `path` (a password file, as mounted from a secret store). One trailing newline is
 * dropped: `echo secret > file` and most editors add one, and no one means it as part of a password.
 */
export function readSecretFile(variable: string, path: string): string {
  let contents: string;
  try {
    contents = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`);
  }
  const secret = contents.replace(/\r?\n$/, "");
  if (secret === "") throw new ConfigError(`${variable}: ${path} is empty`);
  return secret;
}

/** A PEM file's bytes; a missing or non-PEM file stops start-up naming the variable. */
export function readPem(variable: string, path: string): Buffer {
  let contents: Buffer;
  try {
    contents = readFileSync(path);
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`);
  }
  if (!contents.includes("-----BEGIN ")) throw new ConfigError(`${variable}: ${path} is not PEM`);
  return contents;
}

/** A PEM file and the variable that named it. */
export interface PemSource {
  variable: string;
  path: string | undefined;
}

/**
 * Client TLS options: the CA bundle the server's certificate must chain to (undefined: the system
 * CAs) and an optional client certificate and key. Checked now by building a secure context, so a
 * key that does not match its certificate stops start-up instead of failing every handshake.
 */
export function tlsClientOptions(ca: PemSource, cert: PemSource, key: PemSource): ConnectionOptions {
  const options: ConnectionOptions = {};
  if (ca.path !== undefined) options.ca = readPem(ca.variable, ca.path);
  if ((cert.path === undefined) !== (key.path === undefined))
    throw new ConfigError(`${cert.variable} and ${key.variable}: set both or neither`);
  if (cert.path !== undefined && key.path !== undefined) {
    options.cert = readPem(cert.variable, cert.path);
    options.key = readPem(key.variable, key.path);
  }
  const named = [ca, cert, key]
    .filter((source) => source.path !== undefined)
    .map((source) => source.variable);
  try {
    createSecureContext(options);
  } catch (error) {
    throw new ConfigError(
      `${named.join("/")}: not a usable CA bundle, certificate and key (${(error as Error).message})`,
    );
  }
  return options;
}

/** How a TLS connection failed, when it failed in a way that retrying cannot fix. */
export type TlsFailure =
  /** The server's certificate does not chain to a trusted CA (or is expired, revoked, …). */
  | "untrusted"
  /** The certificate is trusted but does not name the host that was dialled. */
  | "wrong-name"
  /** What answered does not speak TLS. */
  | "not-tls"
  /** The server ended the handshake with an alert: typically it wanted a client certificate it trusts. */
  | "refused";

const untrustedCodes = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "CERT_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED",
  "INVALID_CA",
  "INVALID_PURPOSE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
]);

/** Classifies a socket error `code` (as Node and OpenSSL name them) of a TLS client. */
export function tlsFailure(code: unknown): TlsFailure | undefined {
  if (typeof code !== "string") return undefined;
  if (untrustedCodes.has(code)) return "untrusted";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || code === "HOSTNAME_MISMATCH") return "wrong-name";
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_PACKET_LENGTH_TOO_LONG") return "not-tls";
  if (/^ERR_SSL_.*ALERT/.test(code)) return "refused";
  return undefined;
}

/** `error` and the errors it wraps (`cause`, and kafkajs' `originalError`), outermost first. */
export function errorChain(error: unknown): Error[] {
  const chain: Error[] = [];
  let current: unknown = error;
  while (current instanceof Error && !chain.includes(current) && chain.length < 8) {
    chain.push(current);
    const wrapped = current as Error & { originalError?: unknown };
    current = wrapped.cause ?? wrapped.originalError;
  }
  return chain;
}
