import { describe, expect, it } from "vitest";
import { createLogger, type Logger } from "../src/logger.js";

const secret = "s3cr3t-VALUE-that-must-never-appear";

/** A logger whose JSON lines are kept in memory instead of going to stdout. */
function capturingLogger(level = "info"): {
  logger: Logger;
  lines: () => string[];
  entries: () => unknown[];
} {
  const written: string[] = [];
  const logger = createLogger("test-svc", level, { write: (chunk: string) => written.push(chunk) });
  const lines = () => written.join("").split("\n").filter(Boolean);
  return { logger, lines, entries: () => lines().map((line) => JSON.parse(line)) };
}

describe("createLogger", () => {
  it("writes one JSON line per call with service, level, time and message", () => {
    const { logger, entries } = capturingLogger();
    logger.info({ batch: 3 }, "batch stored");
    expect(entries()).toEqual([
      expect.objectContaining({
        service: "test-svc",
        name: "test-svc",
        level: 30,
        batch: 3,
        msg: "batch stored",
      }),
    ]);
    const entry = entries()[0] as { time: string };
    expect(new Date(entry.time).toISOString()).toBe(entry.time);
  });

  it("drops calls below its level", () => {
    const { logger, lines } = capturingLogger("warn");
    logger.info({ x: 1 }, "quiet");
    logger.warn({ x: 2 }, "loud");
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toContain("loud");
  });

  it.each([
    ["authorization", { authorization: `Bearer ${secret}` }],
    ["token", { token: secret }],
    ["password", { password: secret }],
    ["secret", { secret }],
    ["apiKey", { apiKey: secret }],
    [
      "headers.authorization",
      { headers: { authorization: `Bearer ${secret}`, "content-type": "text/plain" } },
    ],
    ["<any>.headers.authorization", { request: { headers: { authorization: `Bearer ${secret}` } } }],
    ["<any>.token", { webhook: { url: "https://hooks.example", token: secret } }],
    ["<any>.password", { redis: { host: "redis", password: secret } }],
    ["<any>.secret", { receiver: { secret } }],
  ])("never prints a credential at %s", (_path, fields) => {
    const { logger, lines } = capturingLogger();
    logger.info(fields, "calling out");
    const output = lines().join("\n");
    expect(output).toContain("calling out");
    expect(output).not.toContain(secret);
    expect(output).toContain("[redacted]");
  });

  it("keeps the fields around a redacted credential", () => {
    const { logger, entries } = capturingLogger();
    logger.warn(
      { headers: { authorization: `Bearer ${secret}`, "content-type": "text/plain" }, status: 401 },
      "denied",
    );
    expect(entries()[0]).toEqual(
      expect.objectContaining({
        headers: { authorization: "[redacted]", "content-type": "text/plain" },
        status: 401,
      }),
    );
  });

  it("redacts in child loggers' bindings too", () => {
    const { logger, lines } = capturingLogger();
    logger.child({ component: "webhook", token: secret }).info("sent");
    expect(lines().join("\n")).not.toContain(secret);
  });

  it("does not change the object that was logged", () => {
    const { logger } = capturingLogger();
    const fields = { headers: { authorization: `Bearer ${secret}` } };
    logger.info(fields, "x");
    expect(fields.headers.authorization).toBe(`Bearer ${secret}`);
  });
});

describe("redaction reaches what fixed paths miss", () => {
  it("masks secrets at any depth, in any key spelling, and inside error messages", () => {
    const { logger, lines } = capturingLogger();
    logger.info({ req: { a: { headers: { Authorization: `Bearer ${secret}` } } } }, "deep");
    logger.info({ "x-api-key": secret, api_key: secret, webhookSecret: secret }, "names");
    logger.error({ err: new Error(`upstream said: Bearer ${secret}`) }, "failed");
    logger.warn(`connecting to rediss://argus:${secret}@redis:6380`);
    const output = lines().join("\n");
    expect(output).not.toContain(secret);
    expect(output).toContain("upstream said: Bearer [redacted]");
  });
});
