import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { base64url, exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../src/config.js";
import { checkPublicJwks, jwtVerifier, jwtVerifierFromConfig, readJwksFile } from "../src/jwt.js";

const secret = "s3cret-for-tests-0123456789abcdefghijkl"; // 38 bytes
const issuer = "https://idp.example";
const audience = "argus";
const nowSeconds = 1_800_000_000;
const now = () => new Date(nowSeconds * 1000);

const claims = { tenant: "acme", roles: ["operator"] };

/** An HS256 token; `payload` overrides the defaults, `undefined` values drop a claim. */
function hs256(payload: Record<string, unknown> = {}, key = secret, header: Record<string, unknown> = {}) {
  const body: JWTPayload = { ...claims, ...payload };
  for (const [name, value] of Object.entries(body)) if (value === undefined) delete body[name];
  let jwt = new SignJWT(body).setProtectedHeader({ alg: "HS256", ...header });
  if (!("iss" in payload)) jwt = jwt.setIssuer(issuer);
  if (!("aud" in payload)) jwt = jwt.setAudience(audience);
  if (!("sub" in payload)) jwt = jwt.setSubject("alice@acme");
  if (!("iat" in payload)) jwt = jwt.setIssuedAt(nowSeconds);
  if (!("exp" in payload)) jwt = jwt.setExpirationTime(nowSeconds + 300);
  return jwt.sign(new TextEncoder().encode(key));
}

describe("JWT verification with an HS256 shared secret", () => {
  const reasons: string[] = [];
  const verifier = jwtVerifier({
    hs256Secret: secret,
    issuer,
    audience,
    clockSkewSeconds: 30,
    now,
    onRejected: (reason) => reasons.push(reason),
  });

  it("maps sub, tenant and roles of a good token to the principal", async () => {
    expect(await verifier.verify(await hs256({ roles: ["viewer", "ingest"] }))).toEqual({
      id: "alice@acme",
      tenant: "acme",
      roles: ["viewer", "ingest"],
    });
  });

  it("refuses an expired token", async () => {
    expect(await verifier.verify(await hs256({ exp: nowSeconds - 3600 }))).toBeNull();
    expect(reasons.at(-1)).toMatch(/ERR_JWT_EXPIRED/);
  });

  it("refuses a token that is not valid yet", async () => {
    expect(await verifier.verify(await hs256({ nbf: nowSeconds + 3600 }))).toBeNull();
    expect(reasons.at(-1)).toMatch(/ERR_JWT_CLAIM_VALIDATION_FAILED.*nbf/);
  });

  it("refuses a token without exp (it would never expire)", async () => {
    expect(await verifier.verify(await hs256({ exp: undefined }))).toBeNull();
  });

  it("refuses a token for another audience, and accepts a list of audiences that holds ours", async () => {
    expect(await verifier.verify(await hs256({ aud: "billing" }))).toBeNull();
    expect(reasons.at(-1)).toMatch(/aud/);
    expect(await verifier.verify(await hs256({ aud: undefined }))).toBeNull();
    expect((await verifier.verify(await hs256({ aud: ["billing", audience] })))?.id).toBe("alice@acme");
  });

  it("refuses a token from another issuer, or with none", async () => {
    expect(await verifier.verify(await hs256({ iss: "https://evil.example" }))).toBeNull();
    expect(reasons.at(-1)).toMatch(/iss/);
    expect(await verifier.verify(await hs256({ iss: undefined }))).toBeNull();
  });

  it("refuses a token signed with another secret, or altered after signing", async () => {
    expect(await verifier.verify(await hs256({}, "another-secret-0123456789abcdefghijklmn"))).toBeNull();
    expect(reasons.at(-1)).toMatch(/ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
    const [header, , signature] = (await hs256()).split(".");
    const admin = base64url.encode(
      JSON.stringify({
        ...claims,
        roles: ["admin"],
        sub: "alice@acme",
        iss: issuer,
        aud: audience,
        exp: nowSeconds + 300,
      }),
    );
    expect(await verifier.verify(`${header}.${admin}.${signature}`)).toBeNull();
  });

  it("refuses an unsecured token (alg none), with or without a signature part", async () => {
    const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
    const body = base64url.encode(
      JSON.stringify({ ...claims, sub: "alice@acme", iss: issuer, aud: audience, exp: nowSeconds + 300 }),
    );
    expect(await verifier.verify(`${header}.${body}.`)).toBeNull();
    expect(reasons.at(-1)).toMatch(/algorithm none is not accepted/);
    const [, , signature] = (await hs256()).split(".");
    expect(await verifier.verify(`${header}.${body}.${signature}`)).toBeNull();
  });

  it("refuses other HMAC algorithms and a malformed header", async () => {
    const hs512 = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: "HS512" })
      .setSubject("alice@acme")
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime(nowSeconds + 300)
      .sign(new TextEncoder().encode(secret.repeat(2)));
    expect(await verifier.verify(hs512)).toBeNull();
    expect(await verifier.verify("not-base64!.x.y")).toBeNull();
    expect(reasons.at(-1)).toBe("malformed JWT header");
  });

  it("tolerates the clock skew on exp and nbf, and not a second more", async () => {
    expect(await verifier.verify(await hs256({ exp: nowSeconds - 29 }))).not.toBeNull();
    expect(await verifier.verify(await hs256({ exp: nowSeconds - 31 }))).toBeNull();
    expect(await verifier.verify(await hs256({ nbf: nowSeconds + 29 }))).not.toBeNull();
    expect(await verifier.verify(await hs256({ nbf: nowSeconds + 31 }))).toBeNull();
    const strict = jwtVerifier({ hs256Secret: secret, issuer, audience, clockSkewSeconds: 0, now });
    expect(await strict.verify(await hs256({ exp: nowSeconds - 1 }))).toBeNull();
    expect(await strict.verify(await hs256({ nbf: nowSeconds + 1 }))).toBeNull();
    expect(await strict.verify(await hs256({ nbf: nowSeconds }))).not.toBeNull();
  });

  it("refuses a token without tenant or roles, or with a role Argus does not know", async () => {
    expect(await verifier.verify(await hs256({ tenant: undefined }))).toBeNull();
    expect(reasons.at(-1)).toMatch(/tenant/);
    expect(await verifier.verify(await hs256({ tenant: "" }))).toBeNull();
    expect(await verifier.verify(await hs256({ roles: undefined }))).toBeNull();
    expect(await verifier.verify(await hs256({ roles: [] }))).toBeNull();
    expect(await verifier.verify(await hs256({ roles: "admin" }))).toBeNull();
    // Not a principal with the roles it does know: the issuer meant something Argus cannot honour.
    expect(await verifier.verify(await hs256({ roles: ["viewer", "superuser"] }))).toBeNull();
    expect(await verifier.verify(await hs256({ sub: undefined }))).toBeNull();
    expect(await verifier.verify(await hs256({ sub: "" }))).toBeNull();
  });

  it("never puts the token into the reason it gives", async () => {
    const token = await hs256({ exp: nowSeconds - 3600 });
    await verifier.verify(token);
    for (const reason of reasons) expect(reason).not.toContain(token.split(".")[2]);
  });

  it("refuses a short secret and an unbounded clock skew", () => {
    expect(() => jwtVerifier({ hs256Secret: "short", issuer, audience, clockSkewSeconds: 30 })).toThrow(
      /at least 32 bytes/,
    );
    expect(() => jwtVerifier({ hs256Secret: secret, issuer, audience, clockSkewSeconds: 301 })).toThrow(
      /clock skew/,
    );
    expect(() => jwtVerifier({ issuer, audience, clockSkewSeconds: 30 })).toThrow(/HS256 secret, a JWKS/);
  });
});

describe("JWT verification against a JWKS file (RS256, ES256, key rotation)", () => {
  let dir: string;
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let ecOld: Awaited<ReturnType<typeof generateKeyPair>>;
  let ecNew: Awaited<ReturnType<typeof generateKeyPair>>;
  let jwksFile: string;

  const sign = (
    key: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"],
    alg: string,
    kid: string | undefined,
    payload: Record<string, unknown> = {},
  ) =>
    new SignJWT({ sub: "svc@acme", iss: issuer, aud: audience, exp: nowSeconds + 300, ...claims, ...payload })
      .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
      .sign(key);

  const publicJwk = async (key: Awaited<ReturnType<typeof generateKeyPair>>["publicKey"], kid: string) => ({
    ...(await exportJWK(key)),
    kid,
    use: "sig",
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "argus-jwks-"));
    [rsa, ecOld, ecNew] = await Promise.all([
      generateKeyPair("RS256"),
      generateKeyPair("ES256"),
      generateKeyPair("ES256"),
    ]);
    jwksFile = join(dir, "jwks.json");
    writeFileSync(
      jwksFile,
      JSON.stringify({
        keys: [
          await publicJwk(rsa.publicKey, "rsa-1"),
          await publicJwk(ecOld.publicKey, "ec-2024"),
          await publicJwk(ecNew.publicKey, "ec-2025"),
        ],
      }),
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const fromFile = (hs256Secret?: string) =>
    jwtVerifier({ jwks: readJwksFile(jwksFile), hs256Secret, issuer, audience, clockSkewSeconds: 30, now });

  it("verifies RS256 and ES256 tokens with the key their kid names", async () => {
    const verifier = fromFile();
    expect(await verifier.verify(await sign(rsa.privateKey, "RS256", "rsa-1"))).toEqual({
      id: "svc@acme",
      tenant: "acme",
      roles: ["operator"],
    });
    expect((await verifier.verify(await sign(ecNew.privateKey, "ES256", "ec-2025")))?.id).toBe("svc@acme");
  });

  it("keeps accepting the old key and accepts the new one during a rotation", async () => {
    const verifier = fromFile();
    expect(await verifier.verify(await sign(ecOld.privateKey, "ES256", "ec-2024"))).not.toBeNull();
    expect(await verifier.verify(await sign(ecNew.privateKey, "ES256", "ec-2025"))).not.toBeNull();
  });

  it("refuses a token whose kid names another key than the one that signed it, or no key at all", async () => {
    const verifier = fromFile();
    expect(await verifier.verify(await sign(ecNew.privateKey, "ES256", "ec-2024"))).toBeNull();
    expect(await verifier.verify(await sign(ecNew.privateKey, "ES256", "ec-2023"))).toBeNull();
  });

  it("tries every key of the algorithm when a token has no kid", async () => {
    const verifier = fromFile();
    expect(await verifier.verify(await sign(ecNew.privateKey, "ES256", undefined))).not.toBeNull();
    expect(await verifier.verify(await sign(ecOld.privateKey, "ES256", undefined))).not.toBeNull();
    const stranger = await generateKeyPair("ES256");
    expect(await verifier.verify(await sign(stranger.privateKey, "ES256", undefined))).toBeNull();
  });

  it("checks the claims of JWKS tokens as of HS256 ones", async () => {
    const verifier = fromFile();
    expect(
      await verifier.verify(await sign(rsa.privateKey, "RS256", "rsa-1", { roles: ["root"] })),
    ).toBeNull();
    expect(await verifier.verify(await sign(rsa.privateKey, "RS256", "rsa-1", { aud: "other" }))).toBeNull();
  });

  it("refuses HS256 tokens when only a JWKS is configured, and JWKS tokens when only a secret is", async () => {
    expect(await fromFile().verify(await hs256())).toBeNull();
    const hsOnly = jwtVerifier({ hs256Secret: secret, issuer, audience, clockSkewSeconds: 30, now });
    expect(await hsOnly.verify(await sign(rsa.privateKey, "RS256", "rsa-1"))).toBeNull();
  });

  it("never uses a JWKS public key as an HMAC secret (algorithm confusion)", async () => {
    const publicPem = await exportSPKI(rsa.publicKey);
    const forged = await hs256({}, publicPem, { kid: "rsa-1" });
    expect(await fromFile().verify(forged)).toBeNull();
  });

  it("accepts both sources at once, each with its own algorithms", async () => {
    const both = fromFile(secret);
    expect(await both.verify(await hs256())).not.toBeNull();
    expect(await both.verify(await sign(rsa.privateKey, "RS256", "rsa-1"))).not.toBeNull();
    expect(await both.verify(await hs256({}, "another-secret-0123456789abcdefghijklmn"))).toBeNull();
  });

  it("builds the verifier from the configuration (with the real clock)", async () => {
    const verifier = jwtVerifierFromConfig({
      ARGUS_JWT_JWKS_FILE: jwksFile,
      ARGUS_JWT_HS256_SECRET: secret,
      ARGUS_JWT_ISSUER: issuer,
      ARGUS_JWT_AUDIENCE: audience,
      ARGUS_JWT_CLOCK_SKEW_S: 30,
    });
    const realNow = Math.floor(Date.now() / 1000);
    const current = { iat: realNow, exp: realNow + 300 };
    expect(await verifier?.verify(await hs256(current))).not.toBeNull();
    expect(await verifier?.verify(await sign(ecNew.privateKey, "ES256", "ec-2025", current))).not.toBeNull();
    expect(await verifier?.verify(await hs256({ iat: realNow - 600, exp: realNow - 300 }))).toBeNull();
    expect(() =>
      jwtVerifierFromConfig({
        ARGUS_JWT_HS256_SECRET: secret,
        ARGUS_JWT_CLOCK_SKEW_S: 30,
        ARGUS_JWT_ISSUER: issuer,
      }),
    ).toThrow(ConfigError);
  });

  it("stops start-up naming ARGUS_JWT_JWKS_FILE when the file is missing, not JSON or not a key set", () => {
    expect(() => readJwksFile(join(dir, "missing.json"))).toThrow(ConfigError);
    expect(() => readJwksFile(join(dir, "missing.json"))).toThrow(
      /^ARGUS_JWT_JWKS_FILE: cannot read .*ENOENT/,
    );
    const notJson = join(dir, "not.json");
    writeFileSync(notJson, "keys: []");
    expect(() => readJwksFile(notJson)).toThrow(/^ARGUS_JWT_JWKS_FILE: .* is not valid JSON/);
    const empty = join(dir, "empty.json");
    writeFileSync(empty, JSON.stringify({ keys: [] }));
    expect(() => readJwksFile(empty)).toThrow(/^ARGUS_JWT_JWKS_FILE .*no keys/);
  });

  it("refuses a key set that holds private or symmetric keys", async () => {
    const extractable = await generateKeyPair("ES256", { extractable: true });
    const privateJwk: JWK = { ...(await exportJWK(extractable.privateKey)), kid: "leak" };
    expect(() => checkPublicJwks({ keys: [privateJwk] }, "JWKS")).toThrow(/private key material/);
    const oct = { kty: "oct", k: base64url.encode(secret), kid: "hmac" };
    expect(() => checkPublicJwks({ keys: [oct] }, "JWKS")).toThrow(/only RSA and EC keys/);
  });

  it("gives no verifier when neither source is configured", () => {
    expect(jwtVerifierFromConfig({ ARGUS_JWT_CLOCK_SKEW_S: 30 })).toBeUndefined();
  });
});
