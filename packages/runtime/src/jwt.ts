import { readFileSync } from "node:fs";
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyOptions,
  jwtVerify,
} from "jose";
import { z } from "zod";
import { type Principal, roles, type TokenVerifier } from "./auth.js";
import { ConfigError } from "./config.js";

/** Algorithms verified against the JWKS: asymmetric only, so the key set holds nothing secret. */
const jwksAlgorithms = ["RS256", "ES256"] as const;
const maxClockSkewSeconds = 300;

export interface JwtVerifierOptions {
  /** HS256 shared secret (at least 32 bytes). */
  hs256Secret?: string | undefined;
  /** Public keys for RS256 and ES256; a token's `kid` picks the key. */
  jwks?: JSONWebKeySet | undefined;
  /** Expected `iss`. */
  issuer: string;
  /** Expected `aud` (a token with a list of audiences must hold it). */
  audience: string;
  /** Tolerance on `exp` and `nbf`, 0 to 300 seconds. */
  clockSkewSeconds: number;
  /** The verifier's clock (tests). */
  now?: () => Date;
  /** Told why a token was refused (for debug logs: never the token itself). */
  onRejected?: ((reason: string) => void) | undefined;
}

/** The claims Argus reads: `sub` is the principal, `tenant` and `roles` are its scope and rights. */
const argusClaims = z.object({
  sub: z.string().min(1, "sub is empty"),
  tenant: z.string({ error: "no tenant claim" }).min(1, "tenant is empty"),
  roles: z.array(z.enum(roles), { error: "roles must be a list of known roles" }).min(1, "roles is empty"),
});

/** Members that only a private or symmetric JWK has. */
const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** Checks that `jwks` is a set of public RSA or EC signing keys; throws naming what is wrong. */
export function checkPublicJwks(jwks: unknown, what: string): JSONWebKeySet {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new ConfigError(`${what}: not a JSON Web Key Set (no "keys" list)`);
  if (keys.length === 0) throw new ConfigError(`${what}: the key set has no keys`);
  keys.forEach((key: unknown, index) => {
    if (typeof key !== "object" || key === null)
      throw new ConfigError(`${what}: keys[${index}] is not a JWK`);
    const jwk = key as Record<string, unknown>;
    if (jwk.kty !== "RSA" && jwk.kty !== "EC")
      throw new ConfigError(
        `${what}: keys[${index}] has kty ${String(jwk.kty)}; only RSA and EC keys are used`,
      );
    if (privateMembers.some((member) => member in jwk))
      throw new ConfigError(`${what}: keys[${index}] holds private key material; publish only public keys`);
  });
  try {
    createLocalJWKSet(jwks as JSONWebKeySet);
  } catch (error) {
    throw new ConfigError(`${what}: ${(error as Error).message}`);
  }
  return jwks as JSONWebKeySet;
}

/** Reads a JWKS file once (a rotation that adds a key needs a restart); a ConfigError names the variable. */
export function readJwksFile(path: string, variable = "ARGUS_JWT_JWKS_FILE"): JSONWebKeySet {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`${variable}: ${path} is not valid JSON`);
  }
  return checkPublicJwks(parsed, `${variable} (${path})`);
}

/**
 * Verifies JWT bearer tokens: HS256 against a shared secret, RS256/ES256 against a JWKS. The
 * token's `alg` picks the key source, and each source accepts only its own algorithms, so a public
 * key can never be used as an HMAC secret and `alg: none` is never accepted. `exp` is required;
 * `exp`, `nbf`, `iss` and `aud` are checked within the clock skew. The principal is `sub`, with
 * the `tenant` and `roles` claims; a token without them, or with a role Argus does not know, is
 * refused as a whole (never a principal with fewer rights than the issuer meant, nor more).
 */
export function jwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  if (options.hs256Secret === undefined && options.jwks === undefined)
    throw new Error("jwtVerifier: give an HS256 secret, a JWKS, or both");
  if (options.hs256Secret !== undefined && Buffer.byteLength(options.hs256Secret, "utf8") < 32)
    throw new Error("jwtVerifier: the HS256 secret must be at least 32 bytes");
  const skew = options.clockSkewSeconds;
  if (!Number.isInteger(skew) || skew < 0 || skew > maxClockSkewSeconds)
    throw new Error(`jwtVerifier: clock skew must be 0 to ${maxClockSkewSeconds} seconds`);
  const secret =
    options.hs256Secret === undefined ? undefined : new TextEncoder().encode(options.hs256Secret);
  const jwks =
    options.jwks === undefined ? undefined : createLocalJWKSet(checkPublicJwks(options.jwks, "JWKS"));
  const now = options.now ?? (() => new Date());
  const rejected = (reason: string): null => {
    options.onRejected?.(reason);
    return null;
  };

  const verifyOptions = (algorithms: string[]): JWTVerifyOptions => ({
    algorithms,
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: skew,
    currentDate: now(),
    requiredClaims: ["exp", "sub"],
  });

  async function verifyWithJwks(token: string, keySet: NonNullable<typeof jwks>): Promise<JWTPayload> {
    const verifyOpts = verifyOptions([...jwksAlgorithms]);
    try {
      return (await jwtVerify(token, keySet, verifyOpts)).payload;
    } catch (error) {
      // Several keys fit the header (no `kid`, same algorithm): the token must verify with one of them.
      if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
      for await (const key of error) {
        try {
          return (await jwtVerify(token, key, verifyOpts)).payload;
        } catch (attempt) {
          if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) throw attempt;
        }
      }
      throw new errors.JWSSignatureVerificationFailed();
    }
  }

  return {
    async verify(token) {
      let alg: string | undefined;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        return rejected("malformed JWT header");
      }
      let payload: JWTPayload;
      try {
        if (alg === "HS256" && secret)
          payload = (await jwtVerify(token, secret, verifyOptions(["HS256"]))).payload;
        else if (jwks && (jwksAlgorithms as readonly (string | undefined)[]).includes(alg))
          payload = await verifyWithJwks(token, jwks);
        else return rejected(`algorithm ${String(alg)} is not accepted`);
      } catch (error) {
        const code = (error as { code?: string }).code ?? "ERR_JWT_INVALID";
        return rejected(`${code}: ${(error as Error).message}`);
      }
      const claims = argusClaims.safeParse(payload);
      if (!claims.success) return rejected(`claims: ${claims.error.issues[0]?.message}`);
      const principal: Principal = {
        id: claims.data.sub,
        tenant: claims.data.tenant,
        roles: [...new Set(claims.data.roles)],
      };
      return principal;
    },
  };
}

/** The JWT verifier the configuration asks for, or undefined when JWTs are not accepted. */
export function jwtVerifierFromConfig(
  config: {
    ARGUS_JWT_HS256_SECRET?: string | undefined;
    ARGUS_JWT_JWKS_FILE?: string | undefined;
    ARGUS_JWT_ISSUER?: string | undefined;
    ARGUS_JWT_AUDIENCE?: string | undefined;
    ARGUS_JWT_CLOCK_SKEW_S: number;
  },
  onRejected?: (reason: string) => void,
): TokenVerifier | undefined {
  const { ARGUS_JWT_HS256_SECRET: hs256Secret, ARGUS_JWT_JWKS_FILE: jwksFile } = config;
  if (hs256Secret === undefined && jwksFile === undefined) return undefined;
  if (config.ARGUS_JWT_ISSUER === undefined || config.ARGUS_JWT_AUDIENCE === undefined)
    throw new ConfigError("ARGUS_JWT_ISSUER and ARGUS_JWT_AUDIENCE are required when JWTs are accepted");
  return jwtVerifier({
    hs256Secret,
    jwks: jwksFile === undefined ? undefined : readJwksFile(jwksFile),
    issuer: config.ARGUS_JWT_ISSUER,
    audience: config.ARGUS_JWT_AUDIENCE,
    clockSkewSeconds: config.ARGUS_JWT_CLOCK_SKEW_S,
    onRejected,
  });
}
