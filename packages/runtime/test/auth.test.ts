import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  apiKeyAuthenticator,
  bearerAuthenticator,
  hasRole,
  looksLikeJwt,
  type Principal,
  type Role,
  roles,
  sha256Hex,
  type TokenVerifier,
} from "../src/auth.js";
import { ConfigError } from "../src/config.js";

const aliceKey = "k-alice-0123456789abcdefghijklmnopqrstuv";
const bobKey = "k-bob-0123456789abcdefghijklmnopqrstuvwx";

const keys = JSON.stringify([
  { principal: "alice", tenant: "acme", roles: ["operator"], sha256: sha256Hex(aliceKey) },
  { principal: "bob", tenant: "globex", roles: ["viewer", "ingest"], sha256: sha256Hex(bobKey) },
]);

function withAuthorization(...values: string[]): Metadata {
  const metadata = new Metadata();
  for (const value of values) metadata.add("authorization", value);
  return metadata;
}

describe("apiKeyAuthenticator", () => {
  const authenticator = apiKeyAuthenticator(keys);

  it("finds the principal behind a bearer key", async () => {
    expect(await authenticator.authenticate(withAuthorization(`Bearer ${aliceKey}`))).toEqual({
      id: "alice",
      tenant: "acme",
      roles: ["operator"],
    });
    expect((await authenticator.authenticate(withAuthorization(`Bearer ${bobKey}`)))?.id).toBe("bob");
  });

  it("accepts the scheme in any case and extra spaces before the key", async () => {
    expect((await authenticator.authenticate(withAuthorization(`bearer ${aliceKey}`)))?.id).toBe("alice");
    expect((await authenticator.authenticate(withAuthorization(`BEARER   ${aliceKey}`)))?.id).toBe("alice");
  });

  it("returns null for a wrong key, a missing header, or a header that is not a bearer token", async () => {
    expect(await authenticator.authenticate(withAuthorization(`Bearer ${aliceKey}x`))).toBeNull();
    expect(await authenticator.authenticate(new Metadata())).toBeNull();
    expect(await authenticator.authenticate(withAuthorization(aliceKey))).toBeNull();
    expect(await authenticator.authenticate(withAuthorization(`Basic ${aliceKey}`))).toBeNull();
    expect(await authenticator.authenticate(withAuthorization("Bearer "))).toBeNull();
    expect(await authenticator.authenticate(withAuthorization(`Bearer ${aliceKey} ${bobKey}`))).toBeNull();
  });

  it("only knows keys by their hash: the configured hash itself is not a key", async () => {
    expect(await authenticator.authenticate(withAuthorization(`Bearer ${sha256Hex(aliceKey)}`))).toBeNull();
  });

  it("refuses a token shaped like a JWT when no JWT verifier is configured", async () => {
    const jwtShaped = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
    const withJwtShapedKey = apiKeyAuthenticator(
      JSON.stringify([{ principal: "eve", tenant: "acme", roles: ["admin"], sha256: sha256Hex(jwtShaped) }]),
    );
    expect(await withJwtShapedKey.authenticate(withAuthorization(`Bearer ${jwtShaped}`))).toBeNull();
  });

  it("refuses a configuration that holds a key instead of its hash", () => {
    const plain = JSON.stringify([
      { principal: "alice", tenant: "acme", roles: ["viewer"], sha256: aliceKey },
    ]);
    expect(() => apiKeyAuthenticator(plain)).toThrow(
      /ARGUS_API_KEYS\[0\.sha256\]: must be the lowercase hex SHA-256/,
    );
    const upper = JSON.stringify([
      { principal: "alice", tenant: "acme", roles: ["viewer"], sha256: sha256Hex(aliceKey).toUpperCase() },
    ]);
    expect(() => apiKeyAuthenticator(upper)).toThrow(/ARGUS_API_KEYS\[0\.sha256\]/);
  });

  it("does not put the offending value into the error (it may be a key pasted by mistake)", () => {
    const plain = JSON.stringify([
      { principal: "alice", tenant: "acme", roles: ["viewer"], sha256: aliceKey },
    ]);
    expect(() => apiKeyAuthenticator(plain)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(aliceKey) }),
    );
  });

  it("names the variable when the configuration is not JSON", () => {
    expect(() => apiKeyAuthenticator("[{principal: alice}]")).toThrow(/^ARGUS_API_KEYS: not valid JSON/);
  });

  it("names the entry and field that is wrong", () => {
    const entries = [
      { principal: "alice", tenant: "acme", roles: ["operator"], sha256: sha256Hex(aliceKey) },
      { principal: "bob", tenant: "globex", roles: ["superuser"], sha256: sha256Hex(bobKey) },
    ];
    expect(() => apiKeyAuthenticator(JSON.stringify(entries))).toThrow(/ARGUS_API_KEYS\[1\.roles\.0\]/);
    const noRoles = [{ principal: "carol", tenant: "acme", roles: [], sha256: sha256Hex("k") }];
    expect(() => apiKeyAuthenticator(JSON.stringify(noRoles))).toThrow(/ARGUS_API_KEYS\[0\.roles\]/);
    const noTenant = [{ principal: "carol", roles: ["viewer"], sha256: sha256Hex("k") }];
    expect(() => apiKeyAuthenticator(JSON.stringify(noTenant))).toThrow(/ARGUS_API_KEYS\[0\.tenant\]/);
  });

  it("rejects a configuration that is not a list", () => {
    expect(() => apiKeyAuthenticator(JSON.stringify({ principal: "alice" }))).toThrow(/^ARGUS_API_KEYS/);
  });

  it("accepts an empty list, which authenticates nobody", async () => {
    expect(await apiKeyAuthenticator("[]").authenticate(withAuthorization(`Bearer ${aliceKey}`))).toBeNull();
  });

  it("throws a ConfigError (exit 78 at start-up) that does not quote the text", () => {
    const pasted = `[{"principal": "alice", "sha256": ${aliceKey}}]`;
    expect(() => apiKeyAuthenticator(pasted)).toThrow(ConfigError);
    expect(() => apiKeyAuthenticator(pasted)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(aliceKey) }),
    );
  });
});

describe("bearerAuthenticator", () => {
  const jwtToken = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYXJvbCJ9.c2lnbmF0dXJl";
  const seen: string[] = [];
  const jwt: TokenVerifier = {
    async verify(token) {
      seen.push(token);
      return token === jwtToken ? { id: "carol", tenant: "acme", roles: ["viewer"] } : null;
    },
  };
  const authenticator = bearerAuthenticator({ apiKeys: keys, jwt });

  it("sends tokens shaped like JWTs to the JWT verifier and others to the key table", async () => {
    seen.length = 0;
    expect((await authenticator.authenticate(withAuthorization(`Bearer ${jwtToken}`)))?.id).toBe("carol");
    expect((await authenticator.authenticate(withAuthorization(`Bearer ${aliceKey}`)))?.id).toBe("alice");
    expect(seen).toEqual([jwtToken]);
  });

  it("does not fall back to the key table when the JWT verifier refuses a token", async () => {
    expect(await authenticator.authenticate(withAuthorization(`Bearer ${jwtToken}x`))).toBeNull();
  });

  it("tells JWT shapes apart: three base64url parts, the last possibly empty", () => {
    expect(looksLikeJwt("a.b.c")).toBe(true);
    expect(looksLikeJwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")).toBe(true);
    expect(looksLikeJwt(aliceKey)).toBe(false);
    expect(looksLikeJwt("a.b")).toBe(false);
    expect(looksLikeJwt("a.b.c.d")).toBe(false);
    expect(looksLikeJwt("a+b.c.d")).toBe(false);
    expect(looksLikeJwt(".b.c")).toBe(false);
  });
});

describe("hasRole", () => {
  const as = (...held: Role[]): Principal => ({ id: "p", tenant: "t", roles: held });

  it("lets an admin do what an operator and a viewer can", () => {
    for (const required of ["admin", "operator", "viewer"] as const)
      expect(hasRole(as("admin"), required)).toBe(true);
  });

  it("lets an operator do what a viewer can, but not what an admin can", () => {
    expect(hasRole(as("operator"), "operator")).toBe(true);
    expect(hasRole(as("operator"), "viewer")).toBe(true);
    expect(hasRole(as("operator"), "admin")).toBe(false);
  });

  it("gives a viewer nothing above viewing", () => {
    expect(hasRole(as("viewer"), "viewer")).toBe(true);
    expect(hasRole(as("viewer"), "operator")).toBe(false);
    expect(hasRole(as("viewer"), "admin")).toBe(false);
    expect(hasRole(as("viewer"), "ingest")).toBe(false);
  });

  it("keeps ingest apart: an ingest key cannot read, and readers cannot ingest", () => {
    expect(hasRole(as("ingest"), "ingest")).toBe(true);
    for (const required of ["viewer", "operator", "admin"] as const)
      expect(hasRole(as("ingest"), required)).toBe(false);
    expect(hasRole(as("operator"), "ingest")).toBe(false);
  });

  it("unions the grants of several roles", () => {
    expect(hasRole(as("viewer", "ingest"), "ingest")).toBe(true);
    expect(hasRole(as("viewer", "ingest"), "viewer")).toBe(true);
    expect(hasRole(as("viewer", "ingest"), "operator")).toBe(false);
  });

  it("grants nothing to a principal without roles", () => {
    for (const required of roles) expect(hasRole(as(), required)).toBe(false);
  });
});
