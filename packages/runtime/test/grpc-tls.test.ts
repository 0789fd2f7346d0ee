import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PeerCertificate } from "node:tls";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../src/config.js";
import {
  certificateNames,
  certificatePrincipals,
  grpcServerCredentials,
  grpcTlsFromConfig,
  parseSubjectAltName,
} from "../src/grpc-tls.js";

/** The parts of a peer certificate that the mapping reads. */
function peer(cn: string | string[] | undefined, subjectaltname?: string): PeerCertificate {
  return {
    subject: cn === undefined ? {} : { CN: cn },
    ...(subjectaltname === undefined ? {} : { subjectaltname }),
  } as unknown as PeerCertificate;
}

describe("parseSubjectAltName (Node's subjectaltname string)", () => {
  it("splits entries and keeps their types", () => {
    expect(
      parseSubjectAltName("DNS:a.example, DNS:b.example, URI:spiffe://argus/ns/x, IP Address:10.0.0.1"),
    ).toEqual([
      { type: "DNS", value: "a.example" },
      { type: "DNS", value: "b.example" },
      { type: "URI", value: "spiffe://argus/ns/x" },
      { type: "IP Address", value: "10.0.0.1" },
    ]);
    expect(parseSubjectAltName("")).toEqual([]);
  });

  it("reads JSON-quoted values, so that a crafted name with a comma cannot pose as two", () => {
    expect(parseSubjectAltName('DNS:"evil.example, DNS:ops-bot", URI:spiffe://argus/x')).toEqual([
      { type: "DNS", value: "evil.example, DNS:ops-bot" },
      { type: "URI", value: "spiffe://argus/x" },
    ]);
    expect(parseSubjectAltName('DNS:"quote\\"inside"')).toEqual([{ type: "DNS", value: 'quote"inside' }]);
  });

  it("gives no names at all for a string it cannot read", () => {
    expect(parseSubjectAltName('DNS:"unterminated')).toEqual([]);
    expect(parseSubjectAltName("no-colon-here")).toEqual([]);
    expect(parseSubjectAltName('DNS:"a"junk, DNS:b')).toEqual([]);
  });
});

describe("certificateNames", () => {
  it("lists the CN, the DNS SANs and the URI SANs, not IP or e-mail SANs", () => {
    expect(
      certificateNames(
        peer("ops-bot", "DNS:bot.argus.test, IP Address:127.0.0.1, email:x@y, URI:spiffe://argus/bot"),
      ),
    ).toEqual(["ops-bot", "bot.argus.test", "spiffe://argus/bot"]);
    expect(certificateNames(peer(["a", "b"]))).toEqual(["a", "b"]);
    expect(certificateNames(peer(undefined))).toEqual([]);
  });
});

describe("certificatePrincipals (ARGUS_MTLS_PRINCIPALS)", () => {
  const principals = certificatePrincipals(
    JSON.stringify([
      { subject: "spiffe://argus/ops-bot", principal: "ops-bot", tenant: "acme", roles: ["operator"] },
      { subject: "viewer.argus.test", principal: "viewer-bot", tenant: "acme", roles: ["viewer"] },
      { subject: "cn-bot", principal: "cn-bot", tenant: "globex", roles: ["ingest"] },
    ]),
  );

  it("maps a certificate by its URI SAN, DNS SAN or CN", () => {
    expect(principals.authenticate(peer("whatever", "URI:spiffe://argus/ops-bot"))).toEqual({
      id: "ops-bot",
      tenant: "acme",
      roles: ["operator"],
    });
    expect(principals.authenticate(peer("x", "DNS:viewer.argus.test"))?.id).toBe("viewer-bot");
    expect(principals.authenticate(peer("cn-bot"))?.id).toBe("cn-bot");
  });

  it("maps nothing for an unknown certificate, or one whose names match two entries", () => {
    expect(principals.authenticate(peer("stranger", "DNS:stranger.example"))).toBeNull();
    expect(principals.authenticate(peer("cn-bot", "DNS:viewer.argus.test"))).toBeNull();
    // The same entry matched twice is still one principal.
    expect(principals.authenticate(peer("viewer.argus.test", "DNS:viewer.argus.test"))?.id).toBe(
      "viewer-bot",
    );
  });

  it("does not split a quoted SAN into names it does not have", () => {
    expect(principals.authenticate(peer("x", 'DNS:"evil.example, DNS:viewer.argus.test"'))).toBeNull();
  });

  it("names the entry and field of a wrong configuration, as a ConfigError", () => {
    const bad = (entries: unknown) => () => certificatePrincipals(JSON.stringify(entries));
    expect(bad([{ subject: "a", principal: "a", tenant: "t", roles: ["root"] }])).toThrow(
      /^ARGUS_MTLS_PRINCIPALS\[0\.roles\.0\]/,
    );
    expect(bad([{ subject: "", principal: "a", tenant: "t", roles: ["viewer"] }])).toThrow(
      /^ARGUS_MTLS_PRINCIPALS\[0\.subject\]/,
    );
    expect(bad([{ subject: "a", principal: "a", roles: ["viewer"] }])).toThrow(
      /^ARGUS_MTLS_PRINCIPALS\[0\.tenant\]/,
    );
    const twice = [
      { subject: "a", principal: "a", tenant: "t", roles: ["viewer"] },
      { subject: "a", principal: "b", tenant: "t", roles: ["admin"] },
    ];
    expect(bad(twice)).toThrow(/^ARGUS_MTLS_PRINCIPALS\[1\.subject\]: a is listed twice/);
    expect(() => certificatePrincipals("{nope")).toThrow(ConfigError);
  });
});

describe("grpcTlsFromConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "argus-tls-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = { GRPC_TLS_CLIENT_CERT: "none" as const, ARGUS_MTLS_PRINCIPALS: "[]" };

  it("is plaintext (undefined) without a certificate and key", () => {
    expect(grpcTlsFromConfig(base)).toBeUndefined();
  });

  it("names the variable whose file cannot be read or is not PEM", () => {
    const missing = join(dir, "missing.pem");
    expect(() =>
      grpcTlsFromConfig({ ...base, GRPC_TLS_CERT_FILE: missing, GRPC_TLS_KEY_FILE: missing }),
    ).toThrow(/^GRPC_TLS_CERT_FILE: cannot read .*ENOENT/);
    const notPem = join(dir, "not.pem");
    writeFileSync(notPem, "hello");
    expect(() =>
      grpcTlsFromConfig({ ...base, GRPC_TLS_CERT_FILE: notPem, GRPC_TLS_KEY_FILE: notPem }),
    ).toThrow(/^GRPC_TLS_CERT_FILE: .* is not PEM/);
  });

  it("wants both files", () => {
    expect(() => grpcTlsFromConfig({ ...base, GRPC_TLS_CERT_FILE: "/x" })).toThrow(ConfigError);
  });
});

describe("grpcServerCredentials", () => {
  it("is insecure without TLS, and refuses client certificates without a CA", () => {
    expect(grpcServerCredentials(undefined)._isSecure()).toBe(false);
    expect(() =>
      grpcServerCredentials({
        certificate: Buffer.from(""),
        privateKey: Buffer.from(""),
        clientCertificate: "require",
      }),
    ).toThrow(/without a client CA/);
  });
});
