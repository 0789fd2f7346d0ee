import { describe, expect, it } from "vitest";
import {
  cardNetwork,
  ibanValid,
  luhnValid,
  scanPii,
  scanSecrets,
  shannonEntropy,
} from "../../src/domain/text/index.js";

describe("scanSecrets", () => {
  it.each([
    ["aws-access-key-id", "key AKIAQ4X7TZ2LM9WNB3RD"],
    ["github-token", "token ghp_8sK2mQ9vX4tL7nB3cR6wY1zH5jD0fA2gE8uPq"],
    ["github-fine-grained-token", `github_pat_11ABCDEFG0${"aB3dE5gH7jK9".repeat(6)}`],
    ["slack-token", "xoxb-1234567890123-9876543210987-AbCdEfGhIjKlMnOpQrStUvWx"],
    ["stripe-live-key", 'stripe.api_key = "sk_live_51H8xYzA2bC3dE4fG5hI6jK7lM8nO9pQ0rS1tU2vW"'],
    ["google-api-key", "apiKey: AIzaSyD4x9Kq2Lm7Vb3Nc8Wz1Tr5Yh6Uj0Pe2Qs"],
    ["private-key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----"],
    ["url-credentials", "postgres://billing:Vq7#rT2m9Lx4pW@db.prod.internal:5432/billing"],
    ["assigned-password", '{"password": "N7!kq2Lz#p9Wm4xR"}'],
    ["high-entropy-credential", "signing secret Xk3mQ9vT2xW7mB4nR8pL1sD6fG3hJ5cZ"],
  ])("finds %s", (kind, text) => {
    const r = scanSecrets(text);
    expect(r.matches.map((m) => m.kind)).toContain(kind);
    expect(r.score).toBeGreaterThanOrEqual(0.8);
  });

  it("recognizes a JWT by its header", () => {
    const jwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.Xk3mQ9vT2xW7mB4nR8pL1sD6fG3hJ5cZ0yA2eU9iO7q";
    const r = scanSecrets(`Authorization: Bearer ${jwt}`);
    expect(r.matches[0]).toMatchObject({ kind: "jwt" });
    expect(r.matches[0]?.evidence).toContain("alg=HS256");
  });

  it("never puts a whole secret in the evidence", () => {
    const secrets = [
      "AKIAQ4X7TZ2LM9WNB3RD",
      "ghp_8sK2mQ9vX4tL7nB3cR6wY1zH5jD0fA2gE8uPq",
      "sk_live_51H8xYzA2bC3dE4fG5hI6jK7lM8nO9pQ0rS1tU2vW",
      "Vq7#rT2m9Lx4pW",
      "Tr0ub4dor&3xQ",
    ];
    const text = `aws ${secrets[0]} gh ${secrets[1]} stripe ${secrets[2]} postgres://u:${secrets[3]}@h/db wifi password: ${secrets[4]}`;
    const r = scanSecrets(text);
    expect(r.matches.length).toBeGreaterThanOrEqual(5);
    for (const m of r.matches)
      for (const s of secrets) expect(m.evidence).not.toContain(s.slice(0, Math.ceil(s.length / 2)));
  });

  it("does not flag placeholders, policies, example keys, hashes, UUIDs or data blobs", () => {
    for (const text of [
      "Set the token: <your-token-here> in the config.",
      "I want to set password: minimum 12 characters.",
      'api_key = os.environ["PAYMENTS_API_KEY"]',
      "DATABASE_URL=postgres://app:$" + "{DB_PASSWORD}@db.internal:5432/app",
      "sha256:9f86d081884c7d659a2feaf0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      "request 7c2a1b9e-4f3d-4c2b-9a8e-1d2f3c4b5a6e",
      "The AWS docs use AKIAIOSFODNN7EXAMPLE as a sample key.",
    ]) {
      expect(scanSecrets(text).score, text).toBeLessThan(0.5);
    }
  });

  it("computes Shannon entropy in bits per character", () => {
    expect(shannonEntropy("aaaa")).toBe(0);
    expect(shannonEntropy("abcd")).toBe(2);
  });
});

describe("scanPii", () => {
  it("finds emails, phones, cards, IBANs and SSNs, masked", () => {
    const r = scanPii(
      "Mail maria.kowalski84@gmail.com, call +1 415 555 0132, card 4111 1111 1111 1111, " +
        "IBAN DE89 3704 0044 0532 0130 00, SSN: 536-22-8471",
    );
    const byKind = new Map(r.matches.map((m) => [m.kind, m.evidence]));
    expect(byKind.get("email")).toBe("m***@g***.com");
    expect(byKind.get("phone")).toBe("+* *** *** **32");
    expect(byKind.get("payment-card")).toBe("visa ************1111 (16 digits, Luhn valid)");
    expect(byKind.get("iban")).toBe("DE**…(22 chars)");
    expect(byKind.get("ssn")).toBe("***-**-**71");
    expect(r.score).toBeGreaterThanOrEqual(0.9);
  });

  it("validates cards with Luhn and issuer prefixes", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(cardNetwork("378282246310005")).toBe("amex");
    expect(scanPii("card 4111 1111 1111 1112").score).toBe(0);
    expect(scanPii("Order number 8812 3307 5521 9940 hasn't shipped").score).toBeLessThan(0.5);
  });

  it("validates IBANs with mod 97", () => {
    expect(ibanValid("GB82WEST12345698765432")).toBe(true);
    expect(ibanValid("GB82WEST12345698765433")).toBe(false);
  });

  it("leaves dates, IPs, versions, amounts and role accounts below the flag threshold", () => {
    for (const text of [
      "Meeting on 2024-03-15 at 14:30.",
      "The server is at 192.168.10.24 on port 8443.",
      "Upgraded from version 10.2.3.4 to 11.0.0.1.",
      "Revenue was $1,234,567.89.",
      "Timestamp 1710507600.",
      "The population grew to 1,287,902.",
      "Contact support@example.com for help.",
      "ISBN 978-0-306-40615-7",
    ]) {
      expect(scanPii(text).score, text).toBeLessThan(0.5);
    }
  });

  it("can skip kinds", () => {
    expect(scanPii("me: jane.doe@mail.test", { disabledKinds: ["email"] }).score).toBe(0);
  });
});
