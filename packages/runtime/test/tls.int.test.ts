import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { rejection } from "@argus/testkit";
import {
  type CallOptions,
  type ChannelCredentials,
  Client,
  credentials,
  Metadata,
  type ServiceDefinition,
  type ServiceError,
  status,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { loadSync, type MethodDefinition } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearerAuthenticator, sha256Hex } from "../src/auth.js";
import { ConfigError } from "../src/config.js";
import { principalOf } from "../src/grpc-auth.js";
import { type RunningGrpcServer, startGrpcServer } from "../src/grpc-server.js";
import { grpcTlsFromConfig } from "../src/grpc-tls.js";
import { jwtVerifier } from "../src/jwt.js";
import { createLogger } from "../src/logger.js";

// Certificates are made here, for this run only, with the system's openssl (no private key is ever
// committed): a CA, a server certificate for 127.0.0.1 and localhost, and client certificates. A
// second CA that the server does not trust signs a client certificate with a mapped name.

interface Pki {
  dir: string;
  caPem: Buffer;
  file: (name: string) => string;
  pem: (name: string) => Buffer;
}

function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "argus-tls-"));
  const file = (name: string) => join(dir, name);
  // A minimal request configuration, so that the system's openssl.cnf adds no extension of its own.
  writeFileSync(file("req.cnf"), "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n");
  const openssl = (args: string[]) =>
    execFileSync("openssl", ["req", "-config", file("req.cnf"), "-x509", "-noenc", "-days", "1", ...args], {
      stdio: "pipe",
    });
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
  const ca = (name: string, cn: string) =>
    openssl([
      ...newKey,
      ...["-keyout", file(`${name}.key`), "-out", file(`${name}.crt`), "-subj", `/CN=${cn}`],
      ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    ]);
  const leaf = (name: string, issuer: string, cn: string, usage: string, san?: string) =>
    openssl([
      ...newKey,
      ...["-keyout", file(`${name}.key`), "-out", file(`${name}.crt`), "-subj", `/CN=${cn}`],
      ...["-CA", file(`${issuer}.crt`), "-CAkey", file(`${issuer}.key`)],
      ...["-addext", "basicConstraints=critical,CA:FALSE", "-addext", `extendedKeyUsage=${usage}`],
      ...(san ? ["-addext", `subjectAltName=${san}`] : []),
    ]);
  ca("ca", "Argus Test CA");
  ca("other-ca", "Someone Else's CA");
  leaf("server", "ca", "argus-server", "serverAuth", "DNS:localhost,IP:127.0.0.1");
  leaf("ops-bot", "ca", "ops-bot", "clientAuth", "URI:spiffe://argus.test/ops-bot");
  leaf("cn-bot", "ca", "cn-bot", "clientAuth");
  leaf("stranger", "ca", "stranger", "clientAuth", "DNS:stranger.argus.test");
  leaf("forged-ops-bot", "other-ca", "ops-bot", "clientAuth", "URI:spiffe://argus.test/ops-bot");
  return { dir, caPem: readFileSync(file("ca.crt")), file, pem: (name) => readFileSync(file(name)) };
}

// A service of our own with JSON messages, so the test does not depend on the Argus protos.
const json = {
  requestSerialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  requestDeserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown,
  responseSerialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  responseDeserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown,
};
const identityService: ServiceDefinition = {
  whoAmI: { path: "/argus.test.Identity/WhoAmI", requestStream: false, responseStream: false, ...json },
  watchMe: { path: "/argus.test.Identity/WatchMe", requestStream: false, responseStream: true, ...json },
} as unknown as ServiceDefinition;

interface Identity {
  id: string;
  tenant: string;
  roles: string[];
}

const identityImplementation: UntypedServiceImplementation = {
  whoAmI: (call: object, callback: (error: null, response: Identity) => void) => {
    const { id, tenant, roles } = principalOf(call);
    callback(null, { id, tenant, roles: [...roles] });
  },
  watchMe: (call: { write: (value: Identity) => void; end: () => void }) => {
    const { id, tenant, roles } = principalOf(call);
    call.write({ id, tenant, roles: [...roles] });
    call.end();
  },
};

const loaderOptions = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const healthDefinition = loadSync(healthProtoPath, loaderOptions)["grpc.health.v1.Health"] as Record<
  string,
  MethodDefinition<object, Record<string, unknown>>
>;

function metadataWith(token?: string): Metadata {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

const callOptions = (): CallOptions => ({ deadline: Date.now() + 5_000 });

function whoAmI(client: Client, token?: string): Promise<Identity> {
  const rpc = identityService.whoAmI as unknown as MethodDefinition<object, Identity>;
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      rpc.path,
      rpc.requestSerialize,
      rpc.responseDeserialize,
      {},
      metadataWith(token),
      callOptions(),
      (error, response) => (error || !response ? reject(error) : resolve(response)),
    ),
  );
}

function watchMe(client: Client, token?: string): Promise<Identity[]> {
  const rpc = identityService.watchMe as unknown as MethodDefinition<object, Identity>;
  return new Promise((resolve, reject) => {
    const seen: Identity[] = [];
    const call = client.makeServerStreamRequest(
      rpc.path,
      rpc.requestSerialize,
      rpc.responseDeserialize,
      {},
      metadataWith(token),
      callOptions(),
    );
    call.on("data", (identity: Identity) => seen.push(identity));
    call.on("error", reject);
    call.on("end", () => resolve(seen));
  });
}

function healthCheck(client: Client, token?: string): Promise<Record<string, unknown>> {
  const rpc = healthDefinition.Check;
  if (!rpc) throw new Error("no Health/Check");
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      rpc.path,
      rpc.requestSerialize,
      rpc.responseDeserialize,
      { service: "" },
      metadataWith(token),
      callOptions(),
      (error, response) => (error || !response ? reject(error) : resolve(response)),
    ),
  );
}

/** First status of a Health/Watch stream. */
function healthWatch(client: Client, token?: string): Promise<Record<string, unknown>> {
  const rpc = healthDefinition.Watch;
  if (!rpc) throw new Error("no Health/Watch");
  return new Promise((resolve, reject) => {
    const call = client.makeServerStreamRequest(
      rpc.path,
      rpc.requestSerialize,
      rpc.responseDeserialize,
      { service: "" },
      metadataWith(token),
      callOptions(),
    );
    call.on("data", (response: Record<string, unknown>) => {
      resolve(response);
      call.cancel();
    });
    call.on("error", (error: ServiceError) => {
      if (error.code !== status.CANCELLED) reject(error);
    });
  });
}

describe("gRPC over TLS with client certificates (raw grpc-js clients, certificates made by openssl)", () => {
  const logger = createLogger("tls-test", "silent");
  const operatorKey = "operator-key-0123456789abcdefghijklmnop";
  const jwtSecret = "tls-test-jwt-secret-0123456789abcdefghij";
  const authenticator = bearerAuthenticator({
    apiKeys: JSON.stringify([
      { principal: "key-operator", tenant: "acme", roles: ["operator"], sha256: sha256Hex(operatorKey) },
    ]),
    jwt: jwtVerifier({
      hs256Secret: jwtSecret,
      issuer: "argus-test",
      audience: "argus",
      clockSkewSeconds: 30,
    }),
  });
  const mtlsPrincipals = JSON.stringify([
    { subject: "spiffe://argus.test/ops-bot", principal: "ops-bot", tenant: "acme", roles: ["operator"] },
    { subject: "cn-bot", principal: "cn-bot", tenant: "globex", roles: ["viewer"] },
  ]);
  const services = [
    {
      name: "argus.test.Identity",
      definition: identityService,
      implementation: identityImplementation,
      methodRoles: { whoAmI: "operator", watchMe: "viewer" } as const,
    },
  ];
  let pki: Pki;
  let optional: RunningGrpcServer;
  let required: RunningGrpcServer;
  const clients: Client[] = [];

  const tlsConfig = (mode: "optional" | "require") => ({
    GRPC_TLS_CERT_FILE: pki.file("server.crt"),
    GRPC_TLS_KEY_FILE: pki.file("server.key"),
    GRPC_TLS_CLIENT_CA_FILE: pki.file("ca.crt"),
    GRPC_TLS_CLIENT_CERT: mode,
    ARGUS_MTLS_PRINCIPALS: mtlsPrincipals,
  });

  /** A client with its own connection (no subchannel shared with another client's certificate). */
  function client(server: RunningGrpcServer, channelCredentials: ChannelCredentials): Client {
    const made = new Client(`127.0.0.1:${server.port}`, channelCredentials, {
      "grpc.use_local_subchannel_pool": 1,
      // SNI and the name checked against the server certificate: a name, as RFC 6066 wants, not the IP.
      "grpc.ssl_target_name_override": "localhost",
    });
    clients.push(made);
    return made;
  }
  const asCertificate = (name: string) =>
    credentials.createSsl(pki.caPem, pki.pem(`${name}.key`), pki.pem(`${name}.crt`));
  const withoutCertificate = () => credentials.createSsl(pki.caPem);

  beforeAll(async () => {
    pki = makePki();
    [optional, required] = await Promise.all([
      startGrpcServer({
        host: "127.0.0.1",
        port: 0,
        services,
        authenticator,
        reflection: true,
        logger,
        tls: grpcTlsFromConfig(tlsConfig("optional")),
      }),
      startGrpcServer({
        host: "127.0.0.1",
        port: 0,
        services,
        authenticator,
        reflection: false,
        logger,
        tls: grpcTlsFromConfig(tlsConfig("require")),
        anonymousHealth: false,
      }),
    ]);
  });

  afterAll(async () => {
    for (const made of clients) made.close();
    await Promise.all([optional?.stop(), required?.stop()]);
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  describe("GRPC_TLS_CLIENT_CERT=optional", () => {
    it("answers health over TLS without credentials or a client certificate", async () => {
      expect(await healthCheck(client(optional, withoutCertificate()))).toEqual({ status: "SERVING" });
    });

    it("authenticates a mapped client certificate (URI SAN) without a token, with that principal's role", async () => {
      const opsBot = client(optional, asCertificate("ops-bot"));
      expect(await whoAmI(opsBot)).toEqual({ id: "ops-bot", tenant: "acme", roles: ["operator"] });
      expect(await watchMe(opsBot)).toEqual([{ id: "ops-bot", tenant: "acme", roles: ["operator"] }]);
    });

    it("maps by CN too, and still checks the role the method needs", async () => {
      const cnBot = client(optional, asCertificate("cn-bot"));
      expect(await watchMe(cnBot)).toEqual([{ id: "cn-bot", tenant: "globex", roles: ["viewer"] }]);
      const denied = await rejection(whoAmI(cnBot));
      expect(denied.code).toBe(status.PERMISSION_DENIED);
      expect(denied.details).toBe("principal cn-bot lacks role operator");
    });

    it("gives an unmapped certificate no principal: UNAUTHENTICATED without a token, the token's principal with one", async () => {
      const stranger = client(optional, asCertificate("stranger"));
      const error = await rejection(whoAmI(stranger));
      expect(error.code).toBe(status.UNAUTHENTICATED);
      expect((await rejection(watchMe(stranger))).code).toBe(status.UNAUTHENTICATED);
      expect((await whoAmI(stranger, operatorKey)).id).toBe("key-operator");
    });

    it("ignores a certificate with a mapped name from a CA it does not trust", async () => {
      const forged = client(optional, asCertificate("forged-ops-bot"));
      expect((await rejection(whoAmI(forged))).code).toBe(status.UNAUTHENTICATED);
      expect((await whoAmI(forged, operatorKey)).id).toBe("key-operator");
    });

    it("serves bearer tokens (API keys and JWTs) to a client without a certificate", async () => {
      const anonymous = client(optional, withoutCertificate());
      expect((await rejection(whoAmI(anonymous))).code).toBe(status.UNAUTHENTICATED);
      expect((await whoAmI(anonymous, operatorKey)).id).toBe("key-operator");
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ tenant: "acme", roles: ["admin"] })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("jwt-admin")
        .setIssuer("argus-test")
        .setAudience("argus")
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(new TextEncoder().encode(jwtSecret));
      expect(await whoAmI(anonymous, token)).toEqual({ id: "jwt-admin", tenant: "acme", roles: ["admin"] });
      expect((await rejection(whoAmI(anonymous, `${token.slice(0, -2)}xx`))).code).toBe(
        status.UNAUTHENTICATED,
      );
    });

    it("refuses a plaintext client", async () => {
      const plaintext = client(optional, credentials.createInsecure());
      expect((await rejection(healthCheck(plaintext))).code).toBe(status.UNAVAILABLE);
    });
  });

  describe("GRPC_TLS_CLIENT_CERT=require, GRPC_ANONYMOUS_HEALTH=false", () => {
    it("serves a mapped client certificate, health included", async () => {
      const opsBot = client(required, asCertificate("ops-bot"));
      expect(await healthCheck(opsBot)).toEqual({ status: "SERVING" });
      expect(await healthWatch(opsBot)).toEqual({ status: "SERVING" });
      expect((await whoAmI(opsBot)).id).toBe("ops-bot");
    });

    it("wants a principal with any role for health: an unmapped certificate needs a token", async () => {
      const stranger = client(required, asCertificate("stranger"));
      const error = await rejection(healthCheck(stranger));
      expect(error.code).toBe(status.UNAUTHENTICATED);
      expect((await rejection(healthWatch(stranger))).code).toBe(status.UNAUTHENTICATED);
      expect(await healthCheck(stranger, operatorKey)).toEqual({ status: "SERVING" });
    });

    it("fails the handshake of a client without a certificate", async () => {
      const anonymous = client(required, withoutCertificate());
      expect((await rejection(whoAmI(anonymous, operatorKey))).code).toBe(status.UNAVAILABLE);
      // At the TLS level: the server ends the handshake with an alert (TLS 1.3: certificate required).
      const alert = await new Promise<Error>((resolve, reject) => {
        const socket = connect({
          host: "127.0.0.1",
          port: required.port,
          ca: pki.caPem,
          ALPNProtocols: ["h2"],
        });
        socket.on("error", resolve);
        socket.on("close", () => reject(new Error("closed without an alert")));
        socket.setTimeout(5_000, () => reject(new Error("no alert in time")));
      });
      expect(alert.message).toMatch(/certificate required|handshake failure/i);
    });

    it("fails the handshake of a certificate from a CA it does not trust", async () => {
      const forged = client(required, asCertificate("forged-ops-bot"));
      expect((await rejection(whoAmI(forged))).code).toBe(status.UNAVAILABLE);
    });

    it("refuses a plaintext client", async () => {
      const plaintext = client(required, credentials.createInsecure());
      expect((await rejection(healthCheck(plaintext, operatorKey))).code).toBe(status.UNAVAILABLE);
    });
  });

  describe("reading the TLS files at start-up", () => {
    it("names the variables when the key does not belong to the certificate", () => {
      expect(() =>
        grpcTlsFromConfig({ ...tlsConfig("optional"), GRPC_TLS_KEY_FILE: pki.file("ops-bot.key") }),
      ).toThrow(ConfigError);
      expect(() =>
        grpcTlsFromConfig({ ...tlsConfig("optional"), GRPC_TLS_KEY_FILE: pki.file("ops-bot.key") }),
      ).toThrow(/^GRPC_TLS_CERT_FILE\/GRPC_TLS_KEY_FILE: not a usable certificate and key/);
    });

    it("names GRPC_TLS_CLIENT_CA_FILE when the CA bundle cannot be read", () => {
      expect(() =>
        grpcTlsFromConfig({ ...tlsConfig("require"), GRPC_TLS_CLIENT_CA_FILE: pki.file("missing.crt") }),
      ).toThrow(/^GRPC_TLS_CLIENT_CA_FILE: cannot read/);
    });
  });
});
