import { Redis } from "ioredis";
import { AuditLog, auditStreamKey } from "./audit-log.js";

/**
 * `tsx packages/runtime/src/audit/cli.ts verify`: verifies the audit chain of the deployment named
 * by REDIS_URL and ARGUS_REDIS_PREFIX (default `argus`). Progress goes to stderr, the summary to
 * stdout. Exit 0: the chain is whole; 1: it is broken; 2: usage or configuration; 3: could not read it.
 */
const usage = "usage: tsx packages/runtime/src/audit/cli.ts verify   (env: REDIS_URL, ARGUS_REDIS_PREFIX)";

async function verify(): Promise<number> {
  const url = process.env.REDIS_URL;
  const prefix = process.env.ARGUS_REDIS_PREFIX || "argus";
  if (!url || !/^rediss?:\/\//.test(url)) {
    process.stderr.write(`REDIS_URL must be a redis:// or rediss:// URL\n${usage}\n`);
    return 2;
  }
  if (!/^[a-zA-Z0-9._-]+$/.test(prefix)) {
    process.stderr.write("ARGUS_REDIS_PREFIX may contain only letters, digits, '.', '_' and '-'\n");
    return 2;
  }
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, retryStrategy: () => null });
  let connectionError = "";
  redis.on("error", (error: Error) => {
    connectionError = error.message;
  });
  const log = new AuditLog({ redis, key: auditStreamKey(prefix) });
  const started = Date.now();
  try {
    await redis.connect();
    process.stderr.write(`verifying ${log.key}\n`);
    let lastReport = 0;
    const result = await log.verify({
      pageSize: 1000,
      onProgress: (checked) => {
        if (checked - lastReport < 10_000) return;
        lastReport = checked;
        process.stderr.write(`  ${checked} entries checked\n`);
      },
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (result.ok) {
      process.stdout.write(`OK: ${result.count} records, chain intact (${log.key}, ${seconds} s)\n`);
      return 0;
    }
    const { seq, id, reason } = result.firstBroken;
    process.stdout.write(
      `BROKEN: first broken entry seq ${seq}${id === null ? "" : ` (id ${id})`}: ${reason}\n` +
        `  ${result.count} entries read from ${log.key} (${seconds} s)\n`,
    );
    return 1;
  } catch (error) {
    const cause = connectionError ? ` (${connectionError})` : "";
    process.stderr.write(`cannot verify ${log.key}: ${(error as Error).message}${cause}\n`);
    return 3;
  } finally {
    redis.disconnect();
  }
}

const command = process.argv[2];
if (command === "verify") {
  verify().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exit(3);
    },
  );
} else {
  process.stderr.write(`${usage}\n`);
  process.exit(command === undefined || command === "help" || command === "--help" ? 0 : 2);
}
