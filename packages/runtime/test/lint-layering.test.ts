// The layering rule of docs/architecture.md ("domain code imports no I/O") is the noRestrictedImports
// override in biome.json. These tests lint throwaway files laid out like the repository
// (services/<name>/src/domain/…) in a temp folder that holds a copy of the repository's biome.json: they
// exercise the real rule, and a violating file never sits where `biome check .` or tsc would see it.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const biome = join(repoRoot, "node_modules", ".bin", "biome");

interface LintResult {
  exitCode: number;
  /** The import specifiers (quotes included) the layering rule flagged, in source order. */
  restricted: string[];
  messages: string[];
}

interface BiomeDiagnostic {
  category: string;
  severity: string;
  message: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "argus-lint-layering-"));
  const config = JSON.parse(await readFile(join(repoRoot, "biome.json"), "utf8"));
  // The temp folder is not a git work tree, so git's ignore file cannot apply there.
  config.vcs = { enabled: false };
  await writeFile(join(root, "biome.json"), JSON.stringify(config));
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** Writes `source` at `path` (relative to the repository layout) and lints that one file. */
async function lint(path: string, source: string): Promise<LintResult> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), source);
  const { exitCode, stdout, stderr } = await new Promise<{
    exitCode: number;
    stdout: string;
    stderr: string;
  }>((resolve) =>
    execFile(biome, ["lint", "--reporter=json", path], { cwd: root }, (error, stdout, stderr) =>
      resolve({ exitCode: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
  let report: { diagnostics: BiomeDiagnostic[] };
  try {
    report = JSON.parse(stdout);
  } catch {
    throw new Error(`biome printed no JSON report (exit ${exitCode}):\n${stdout}\n${stderr}`);
  }
  const lines = source.split("\n");
  const layering = report.diagnostics.filter((d) => d.category === "lint/style/noRestrictedImports");
  return {
    exitCode,
    // Biome's columns are 1-based, the end exclusive: the span is the flagged specifier.
    restricted: layering.map(({ location: { start, end } }) =>
      (lines[start.line - 1] ?? "").slice(start.column - 1, end.column - 1),
    ),
    messages: layering.map((d) => d.message),
  };
}

describe("biome's layering rule for domain code", { timeout: 30_000 }, () => {
  it("fails a domain file that imports a Redis client, naming the import", async () => {
    const result = await lint(
      "services/alerter/src/domain/silence-cache.ts",
      'import Redis from "ioredis";\n\nexport const cache = new Redis();\n',
    );
    expect(result.exitCode).not.toBe(0);
    expect(result.restricted).toEqual(['"ioredis"']);
    expect(result.messages[0]).toContain("adapters/");
  });

  it("fails a domain file that imports its service's adapters or main.ts, at any depth", async () => {
    const planner = await lint(
      "services/alerter/src/domain/planner.ts",
      'import { x } from "../adapters/x.js";\n\nexport const planned = x;\n',
    );
    expect(planner.exitCode).not.toBe(0);
    expect(planner.restricted).toEqual(['"../adapters/x.js"']);

    const nested = await lint(
      "services/anomaly-detector/src/domain/clients/window.ts",
      [
        'import { store } from "../../adapters/redis/store.js";',
        'import { config } from "../../main.js";',
        "",
        "export const both = [store, config];",
        "",
      ].join("\n"),
    );
    expect(nested.exitCode).not.toBe(0);
    expect(nested.restricted).toEqual(['"../../adapters/redis/store.js"', '"../../main.js"']);
  });

  it("fails Node's I/O, clock and process modules, the service and test kits, and randomness", async () => {
    const result = await lint(
      "services/drift-detector/src/domain/everything-wrong.ts",
      [
        'import { randomUUID } from "node:crypto";',
        'import { readFile } from "node:fs/promises";',
        'import { createServer } from "node:net";',
        'import { env } from "node:process";',
        'import { setTimeout } from "node:timers/promises";',
        'import { hostname } from "os";',
        'import { Kafka } from "kafkajs";',
        'import { credentials } from "@grpc/grpc-js";',
        'import { request } from "undici";',
        'import { runService } from "@argus/runtime";',
        'import { startStack } from "@argus/testkit";',
        "",
        "export const all = [randomUUID, readFile, createServer, env, setTimeout, hostname];",
        "export const kits = [Kafka, credentials, request, runService, startStack];",
        "",
      ].join("\n"),
    );
    expect(result.exitCode).not.toBe(0);
    expect(result.restricted).toEqual([
      "randomUUID",
      '"node:fs/promises"',
      '"node:net"',
      '"node:process"',
      '"node:timers/promises"',
      '"os"',
      '"kafkajs"',
      '"@grpc/grpc-js"',
      '"undici"',
      '"@argus/runtime"',
      '"@argus/testkit"',
    ]);
  });

  it("covers the pure packages' sources too", async () => {
    const result = await lint(
      "packages/stats/src/load-table.ts",
      'import { readFileSync } from "node:fs";\n\nexport const load = readFileSync;\n',
    );
    expect(result.exitCode).not.toBe(0);
    expect(result.restricted).toEqual(['"node:fs"']);
  });

  it("passes a domain file that hashes, validates and imports other domain modules", async () => {
    const result = await lint(
      "services/alerter/src/domain/clean.ts",
      [
        'import { createHash } from "node:crypto";',
        'import { mean } from "@argus/stats";',
        'import { z } from "zod";',
        'import { fingerprint } from "./grouping.js";',
        "",
        "export const shape = z.object({ id: z.string() });",
        'export const id = createHash("sha256").update(fingerprint).digest("hex");',
        "export const average = mean;",
        "",
      ].join("\n"),
    );
    expect(result).toEqual({ exitCode: 0, restricted: [], messages: [] });
  });

  it("leaves adapters free to do I/O", async () => {
    const result = await lint(
      "services/alerter/src/adapters/silence-store.ts",
      'import { readFile } from "node:fs/promises";\nimport Redis from "ioredis";\n\nexport const io = [readFile, Redis];\n',
    );
    expect(result).toEqual({ exitCode: 0, restricted: [], messages: [] });
  });
});
