import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, type Logger } from "../src/logger.js";

// Every credential kind that an Argus process holds, each a distinct string so a leak names its kind.
const secrets = {
  apiKey: "ak7Hq2LmZx9PqR4tVw8YbN3cDf6GjK1s",
  jwt: [
    "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0",
    "eyJzdWIiOiJhbGljZSIsInRlbmFudCI6ImFjbWUiLCJyb2xlcyI6WyJhZG1pbiJdfQ",
    "MEUCIQDk2r9sXb7Yq1ZpLw3VtNc8FhGj0aKsMd6RePoUyT4BnwIgSignature",
  ].join("."),
  webhookSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  kafkaPassword: "kafka-SCRAM-pw-5d1f0c9e",
  redisPassword: "redis-ACL-pw-77aa31b2",
  // AES-256 (evidence encryption) and HMAC (pseudonymization) keys, base64 and hex.
  aesKey: "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQmZ2Lk5Yb0Tc=",
  aesKeyHex: "8f1c2d3e4a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8e9f0a1b2c3d4e5f",
  hmacKey: "pseudonymization-key-4c0ffee-at-least-32-bytes",
  pagerDutyKey: "e93facc04764012d7bfb002500d5d1a6",
  slackPath: "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
  basicAuth: Buffer.from("argus:basic-auth-pw-0a9b").toString("base64"),
};

/** A logger whose JSON lines go to an in-memory stream instead of stdout. */
function captured(): { logger: Logger; output: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger("redaction-test", "trace", stream), output: () => chunks.join("") };
}

function expectNoSecret(output: string): void {
  const leaked = Object.entries(secrets).filter(([, value]) => output.includes(value));
  expect(leaked.map(([kind]) => kind)).toEqual([]);
}

const s = secrets;

describe("service logger redaction", () => {
  it.each<[string, (logger: Logger) => void]>([
    [
      "authorization headers (HTTP, gRPC metadata, raw header lists)",
      (log) => {
        log.info({ headers: { Authorization: `Bearer ${s.apiKey}` } }, "request");
        log.info({ metadata: { authorization: [`Bearer ${s.jwt}`] } }, "grpc call");
        log.info({ rawHeaders: ["Authorization", `Bearer ${s.apiKey}`, "Accept", "*/*"] }, "raw");
        log.info({ req: { "proxy-authorization": `Basic ${s.basicAuth}` } }, "proxy");
        log.info({ dump: `Authorization: Basic ${s.basicAuth}\r\nHost: hooks.example` }, "header dump");
      },
    ],
    [
      "API keys under any spelling, and in query strings",
      (log) => {
        log.info(
          { apiKey: s.apiKey, api_key: s.apiKey, "x-api-key": s.apiKey, ARGUS_API_KEY: s.apiKey },
          "k",
        );
        log.info({ url: `https://argus.example/v1/drift?api_key=${s.apiKey}&model=m` }, "query");
        log.info({ client: { auth: { token: s.apiKey } } }, "nested token");
      },
    ],
    [
      "whsec_ webhook secrets in config, arrays and env",
      (log) => {
        log.info(
          { webhook_configs: [{ url: "https://hooks.example", signing_secrets: [s.webhookSecret] }] },
          "r",
        );
        log.info({ receivers: [{ name: "oncall", webhook: { signingSecrets: [s.webhookSecret] } }] }, "cfg");
        log.info({ env: { ALERTER_WEBHOOK_SECRET: s.webhookSecret } }, "env");
        log.info({ note: `rotated to ${s.webhookSecret}` }, "free text");
      },
    ],
    [
      "JWTs with and without their Bearer prefix",
      (log) => {
        log.info({ jwt: s.jwt, accessToken: s.jwt, id_token: s.jwt }, "claims");
        log.warn({ reason: `token ${s.jwt} is expired` }, "rejected");
        log.info({ callback: `https://app.example/cb#access_token=${s.jwt}` }, "redirect");
      },
    ],
    [
      "Kafka and Redis passwords: options, env, URLs",
      (log) => {
        log.info({
          kafka: { sasl: { mechanism: "scram-sha-512", username: "argus", password: s.kafkaPassword } },
        });
        log.info({ redis: { username: "argus", password: s.redisPassword, tls: {} } }, "redis options");
        log.info({ env: { KAFKA_SASL_PASSWORD: s.kafkaPassword, REDIS_PASSWORD: s.redisPassword } }, "env");
        log.info({ redisUrl: `rediss://argus:${s.redisPassword}@redis:6380/0` }, "url");
        log.info(`connecting to redis://default:${s.redisPassword}@127.0.0.1:6379`);
        log.info({ cmd: `kafka-configs --add-config SCRAM-SHA-512=[password=${s.kafkaPassword}]` }, "admin");
      },
    ],
    [
      "AES and HMAC keys, alone and as a key ring",
      (log) => {
        log.info({ encryptionKey: s.aesKey, aesKey: s.aesKeyHex, ARGUS_EVIDENCE_KEY: s.aesKey }, "aes");
        log.info({ evidence: { encryption: { dataKey: s.aesKey, evidenceKey: s.aesKeyHex } } }, "nested");
        log.info({ pseudonymization: { keys: { k1: s.hmacKey, k2: s.aesKey }, activeKeyId: "k2" } }, "ring");
        log.info({ hmacKey: s.hmacKey, pseudonymKey: s.hmacKey, privateKey: s.aesKey }, "hmac");
      },
    ],
    [
      "receiver credentials: PagerDuty routing keys and Slack webhook URLs",
      (log) => {
        log.info({ pagerduty_configs: [{ routing_key: s.pagerDutyKey }], routingKey: s.pagerDutyKey }, "pd");
        log.warn({ reason: `POST https://hooks.slack.com/services/${s.slackPath} failed: 500` }, "retry");
      },
    ],
    [
      "secrets deep in nested objects and arrays",
      (log) => {
        log.info(
          { a: { b: [{ c: { d: [{ Password: s.kafkaPassword, secret: s.webhookSecret }] } }] } },
          "deep",
        );
        log.info({
          list: [[`Bearer ${s.apiKey}`], [{ credentials: { user: "argus", pass: s.redisPassword } }]],
        });
      },
    ],
    [
      "error messages and stacks that embed them",
      (log) => {
        log.error({ err: new Error(`upstream said: Bearer ${s.apiKey}`) }, "call failed");
        log.error(new Error(`jwt ${s.jwt} failed verification`), "auth failed");
        log.error(
          { err: new Error(`ECONNREFUSED rediss://argus:${s.redisPassword}@redis:6380`) },
          "redis down",
        );
        log.error({ errors: [new Error(`password=${s.kafkaPassword} rejected`)] }, "kafka down");
        log.error({ err: new Error(`bad signing secret ${s.webhookSecret}`) }, "config");
        log.error({ err: `token=${s.apiKey}` }, "string errors, as services log error.message");
        const wrapped = new Error("delivery failed", { cause: new Error(`Bearer ${s.jwt}`) });
        Object.assign(wrapped, { config: { password: s.redisPassword } });
        log.error({ err: wrapped }, "cause and extra fields");
      },
    ],
    [
      "child-logger bindings, including grandchildren",
      (log) => {
        log.child({ component: "kafka", sasl: { password: s.kafkaPassword } }).info("bound");
        log
          .child({ conn: `rediss://argus:${s.redisPassword}@redis` })
          .child({ key: s.apiKey.length })
          .info("x");
        log
          .child({ a: 1 })
          .child({ receiver: { secret: s.webhookSecret } })
          .warn("grandchild");
      },
    ],
    [
      "printf-style values (%s, %j, %o) and message strings",
      (log) => {
        log.info("config %j", { kafka: { sasl: { password: s.kafkaPassword } }, auth: `Bearer ${s.apiKey}` });
        log.info({ step: 1 }, "keys %o", { evidenceKey: s.aesKey });
        log.warn("rejected %s", new Error(`jwt ${s.jwt} expired`));
        log.info(`sending with webhook secret ${s.webhookSecret}`);
      },
    ],
  ])("never prints %s", (_what, logSome) => {
    const { logger, output } = captured();
    logSome(logger);
    const text = output();
    expect(text.split("\n").filter(Boolean).length).toBeGreaterThan(0);
    expectNoSecret(text);
    for (const line of text.split("\n").filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("keeps what on-call needs around the redacted values", () => {
    const { logger, output } = captured();
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    logger.warn(
      {
        kafka: { sasl: { mechanism: "scram-sha-512", username: "argus", password: s.kafkaPassword } },
        headers: { authorization: `Bearer ${s.jwt}`, traceparent, "webhook-id": "msg_2b7f" },
        url: `https://hooks.example/argus?token=${s.apiKey}&tenant=acme`,
        err: new Error(`upstream said: Bearer ${s.apiKey}`),
        key: "p1.Qm9vbS1wc2V1ZG9ueW0tb2YtY2xpZW50LWlk",
        inputTokens: 512,
      },
      "delivery failed",
    );
    const entry = JSON.parse(output()) as Record<string, unknown>;
    expect(entry).toMatchObject({
      msg: "delivery failed",
      kafka: { sasl: { mechanism: "scram-sha-512", username: "argus", password: "[redacted]" } },
      headers: { authorization: "[redacted]", traceparent, "webhook-id": "msg_2b7f" },
      url: "https://hooks.example/argus?token=[redacted]&tenant=acme",
      err: { message: "upstream said: Bearer [redacted]" },
      // A Kafka record key is a pseudonym, not a credential; token counts are not tokens.
      key: "p1.Qm9vbS1wc2V1ZG9ueW0tb2YtY2xpZW50LWlk",
      inputTokens: 512,
    });
    expectNoSecret(output());
  });

  it("does not change the objects that were logged", () => {
    const { logger } = captured();
    const options = { sasl: { password: s.kafkaPassword }, keys: { k1: s.hmacKey } };
    logger.info(options, "x");
    logger.child(options).info("y");
    expect(options).toEqual({ sasl: { password: s.kafkaPassword }, keys: { k1: s.hmacKey } });
  });
});
