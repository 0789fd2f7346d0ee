import { createSecureContext, type PeerCertificate } from "node:tls";
import { ServerCredentials } from "@grpc/grpc-js";
import { z } from "zod";
import { type Principal, parseJsonList, principalEntry } from "./auth.js";
import { ConfigError } from "./config.js";
import { readPem } from "./transport-security.js";

export type ClientCertificateMode = "none" | "optional" | "require";

/** Maps a verified client certificate to a principal. */
export interface CertificateAuthenticator {
  /** The principal of `certificate`, or null when it maps to none (or to more than one). */
  authenticate(certificate: PeerCertificate): Principal | null;
}

export interface GrpcTlsOptions {
  /** PEM certificate chain of the server. */
  certificate: Buffer;
  /** PEM private key of the server. */
  privateKey: Buffer;
  /**
   * `none`: no client certificate is asked for. `optional`: one is asked for, and a verified one
   * can authenticate the call; a client without one (or with one that does not verify) is served as
   * if it had sent none. `require`: the handshake fails without a client certificate that verifies.
   */
  clientCertificate: ClientCertificateMode;
  /** PEM CA bundle client certificates must chain to; required unless clientCertificate is none. */
  clientCa?: Buffer | undefined;
  /** Principals of client certificates (ARGUS_MTLS_PRINCIPALS). */
  clientPrincipals?: CertificateAuthenticator | undefined;
}

/**
 * Server credentials for `tls`. `none` and `require` are grpc-js's own `createSsl`; `optional`
 * (ask for a certificate, accept a handshake without one) is not something `createSsl` can say, so
 * it is a ServerCredentials of our own that sets Node's `requestCert` and `rejectUnauthorized`
 * itself. In every mode grpc-js hands a call the peer certificate only when it verified
 * (`getAuthContext()` is empty on a socket that is not `authorized`).
 */
export function grpcServerCredentials(tls: GrpcTlsOptions | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  if (tls.clientCertificate !== "none" && !tls.clientCa)
    throw new Error(`client certificates set to ${tls.clientCertificate} without a client CA`);
  const pair = { cert_chain: tls.certificate, private_key: tls.privateKey };
  switch (tls.clientCertificate) {
    case "none":
      return ServerCredentials.createSsl(null, [pair], false);
    case "require":
      return ServerCredentials.createSsl(tls.clientCa ?? null, [pair], true);
    case "optional":
      return new OptionalClientCertificateCredentials(tls);
  }
}

class OptionalClientCertificateCredentials extends ServerCredentials {
  constructor(tls: GrpcTlsOptions) {
    super(
      { requestCert: true, rejectUnauthorized: false },
      { ca: tls.clientCa, cert: tls.certificate, key: tls.privateKey },
    );
  }

  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

export interface GrpcTlsConfig {
  GRPC_TLS_CERT_FILE?: string | undefined;
  GRPC_TLS_KEY_FILE?: string | undefined;
  GRPC_TLS_CLIENT_CA_FILE?: string | undefined;
  GRPC_TLS_CLIENT_CERT: ClientCertificateMode;
  ARGUS_MTLS_PRINCIPALS: string;
}

/**
 * The gRPC server's TLS from the configuration (undefined: plaintext). Reads the files now, and
 * checks that they make a usable TLS context, so that a wrong path or a key that does not match
 * its certificate stops start-up with the variable named instead of failing every handshake.
 */
export function grpcTlsFromConfig(config: GrpcTlsConfig): GrpcTlsOptions | undefined {
  const { GRPC_TLS_CERT_FILE: certFile, GRPC_TLS_KEY_FILE: keyFile } = config;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined)
    throw new ConfigError("GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE: set both or neither");
  const certificate = readPem("GRPC_TLS_CERT_FILE", certFile);
  const privateKey = readPem("GRPC_TLS_KEY_FILE", keyFile);
  try {
    createSecureContext({ cert: certificate, key: privateKey });
  } catch (error) {
    throw new ConfigError(
      `GRPC_TLS_CERT_FILE/GRPC_TLS_KEY_FILE: not a usable certificate and key (${(error as Error).message})`,
    );
  }
  const mode = config.GRPC_TLS_CLIENT_CERT;
  if (mode === "none") return { certificate, privateKey, clientCertificate: mode };
  const caFile = config.GRPC_TLS_CLIENT_CA_FILE;
  if (caFile === undefined)
    throw new ConfigError(`GRPC_TLS_CLIENT_CA_FILE: is required when GRPC_TLS_CLIENT_CERT is ${mode}`);
  const clientCa = readPem("GRPC_TLS_CLIENT_CA_FILE", caFile);
  try {
    createSecureContext({ ca: clientCa });
  } catch (error) {
    throw new ConfigError(`GRPC_TLS_CLIENT_CA_FILE: not a usable CA bundle (${(error as Error).message})`);
  }
  return {
    certificate,
    privateKey,
    clientCertificate: mode,
    clientCa,
    clientPrincipals: certificatePrincipals(config.ARGUS_MTLS_PRINCIPALS),
  };
}

const mtlsEntry = principalEntry.extend({
  subject: z.string().min(1, "must be a certificate's CN, DNS SAN or URI SAN"),
});

/**
 * Client certificate principals (ARGUS_MTLS_PRINCIPALS: a JSON list of {subject, principal,
 * tenant, roles}). A certificate maps to the entry whose `subject` equals its subject CN, one of
 * its DNS SANs or one of its URI SANs (e.g. a SPIFFE ID). A certificate whose names match two
 * different entries maps to none: which one was meant is not ours to guess.
 */
export function certificatePrincipals(json: string): CertificateAuthenticator {
  const bySubject = new Map<string, Principal>();
  parseJsonList("ARGUS_MTLS_PRINCIPALS", json, mtlsEntry).forEach((entry, index) => {
    if (bySubject.has(entry.subject))
      throw new ConfigError(`ARGUS_MTLS_PRINCIPALS[${index}.subject]: ${entry.subject} is listed twice`);
    bySubject.set(entry.subject, { id: entry.principal, tenant: entry.tenant, roles: entry.roles });
  });
  return {
    authenticate(certificate) {
      const matches = new Set<Principal>();
      for (const name of certificateNames(certificate)) {
        const principal = bySubject.get(name);
        if (principal) matches.add(principal);
      }
      if (matches.size !== 1) return null;
      return [...matches][0] ?? null;
    },
  };
}

/** The names a certificate vouches for: its subject CN(s), DNS SANs and URI SANs. */
export function certificateNames(certificate: PeerCertificate): string[] {
  const names: string[] = [];
  // Node types CN as a string; a subject with several CNs gives an array.
  const cn = certificate.subject?.CN as string | string[] | undefined;
  if (typeof cn === "string") names.push(cn);
  else if (Array.isArray(cn)) names.push(...cn);
  for (const { type, value } of parseSubjectAltName(certificate.subjectaltname ?? "")) {
    if (type === "DNS" || type === "URI") names.push(value);
  }
  return names;
}

/**
 * Parses Node's `subjectaltname` string: `TYPE:value` entries joined by ", ", where a value that
 * holds a comma, quote or other special character is written as a JSON string (Node ≥ 17.3 does
 * so precisely so that a crafted SAN cannot pose as two). Unparseable input gives no names.
 */
export function parseSubjectAltName(text: string): { type: string; value: string }[] {
  const entries: { type: string; value: string }[] = [];
  let at = 0;
  while (at < text.length) {
    const colon = text.indexOf(":", at);
    if (colon < 0) return [];
    const type = text.slice(at, colon);
    at = colon + 1;
    let value: string;
    if (text[at] === '"') {
      let end = at + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      if (end >= text.length) return [];
      try {
        value = JSON.parse(text.slice(at, end + 1)) as string;
      } catch {
        return [];
      }
      at = end + 1;
    } else {
      const comma = text.indexOf(", ", at);
      const end = comma < 0 ? text.length : comma;
      value = text.slice(at, end);
      at = end;
    }
    entries.push({ type, value });
    if (at < text.length) {
      if (!text.startsWith(", ", at)) return [];
      at += 2;
    }
  }
  return entries;
}
