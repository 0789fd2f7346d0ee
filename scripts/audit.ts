/**
 * The CI gate on known vulnerabilities: `pnpm audit` of every dependency, production and
 * development alike (dev tools run in CI, next to its credentials).
 *
 *   tsx scripts/audit.ts
 *
 * Exit 0: no advisory at or above ARGUS_AUDIT_LEVEL (default high). Exit 1: there are some; each is
 * listed with the versions that fix it. An advisory that does not apply (or has no fix yet, with a
 * mitigation) is accepted by its GHSA id in pnpm-workspace.yaml `auditConfig.ignoreGhsas`, with a
 * comment saying why, so that the acceptance is reviewed like code.
 *
 * The advisory service is a network dependency: when it cannot be reached or answers with an error
 * (after ARGUS_AUDIT_ATTEMPTS tries, default 3), the audit is reported as NOT RUN, loudly, and the
 * exit is 0 so that an outage of registry.npmjs.org does not fail every build; with
 * ARGUS_AUDIT_STRICT=1 (scheduled and release builds) it is exit 2 instead, so a release is never
 * cut on an audit that did not happen. Output that is neither a report nor a registry error (pnpm
 * changed its format) is exit 3 in every mode: the gate must not pass by misreading.
 */
import { pathToFileURL } from "node:url";
import { pnpm } from "./pnpm.js";

const severities = ["info", "low", "moderate", "high", "critical"] as const;
type Severity = (typeof severities)[number];

interface Advisory {
  module_name?: string;
  severity?: string;
  title?: string;
  url?: string;
  github_advisory_id?: string;
  vulnerable_versions?: string;
  patched_versions?: string;
  findings?: { version?: string; paths?: string[] }[];
}

interface AuditReport {
  advisories?: Record<string, Advisory>;
  metadata?: { vulnerabilities?: Partial<Record<Severity, number>>; totalDependencies?: number };
}

export type AuditVerdict =
  | { kind: "clean"; dependencies: number | undefined }
  | { kind: "vulnerable"; advisories: Advisory[] }
  | { kind: "unavailable"; reason: string }
  | { kind: "unreadable"; reason: string };

const atLeast = (severity: string | undefined, level: Severity) =>
  severities.indexOf((severity ?? "") as Severity) >= severities.indexOf(level);

// pnpm's messages when the advisory endpoint is down or refuses (ERR_PNPM_AUDIT_BAD_RESPONSE for
// any non-2xx answer, fetch errors for DNS, TLS, resets and timeouts).
const registryTrouble =
  /ERR_PNPM_AUDIT|audit endpoint|responded with \d{3}|ECONNRESET|ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up|network|fetch failed|killed by SIG/i;

/** What one `pnpm audit --json` run says, from its exit code and output. */
export function judgeAudit(code: number, stdout: string, stderr: string, level: Severity): AuditVerdict {
  let report: (AuditReport & { error?: unknown }) | undefined;
  try {
    const parsed: unknown = JSON.parse(stdout);
    if (parsed && typeof parsed === "object") report = parsed as AuditReport & { error?: unknown };
  } catch {
    report = undefined;
  }
  if (report && ("advisories" in report || "metadata" in report)) {
    const advisories = Object.values(report.advisories ?? {}).filter((a) => atLeast(a.severity, level));
    const counted = severities
      .filter((severity) => atLeast(severity, level))
      .reduce((sum, severity) => sum + (report.metadata?.vulnerabilities?.[severity] ?? 0), 0);
    if (advisories.length > 0) return { kind: "vulnerable", advisories };
    if (counted > 0) {
      return {
        kind: "unreadable",
        reason: `${counted} advisories counted at ${level} or above, none listed`,
      };
    }
    return { kind: "clean", dependencies: report.metadata?.totalDependencies };
  }
  const text = `${stdout}\n${stderr}`.trim();
  if (report?.error !== undefined || registryTrouble.test(text)) {
    return { kind: "unavailable", reason: text.split("\n").slice(0, 6).join("\n") || `exit ${code}` };
  }
  return { kind: "unreadable", reason: `exit ${code}: ${text.slice(0, 600) || "no output"}` };
}

function describe(advisory: Advisory): string {
  const where = (advisory.findings ?? [])
    .flatMap((finding) =>
      (finding.paths ?? []).slice(0, 3).map((path) => `${finding.version ?? "?"} via ${path}`),
    )
    .slice(0, 5);
  return [
    `${(advisory.severity ?? "?").toUpperCase()} ${advisory.module_name ?? "?"}: ${advisory.title ?? ""}`,
    `  ${advisory.github_advisory_id ?? ""} ${advisory.url ?? ""}`.trimEnd(),
    `  vulnerable ${advisory.vulnerable_versions ?? "?"}; fixed in ${advisory.patched_versions ?? "?"}`,
    ...where.map((line) => `  ${line}`),
  ].join("\n");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<number> {
  const level = (process.env.ARGUS_AUDIT_LEVEL ?? "high") as Severity;
  if (!severities.includes(level)) {
    process.stderr.write(`ARGUS_AUDIT_LEVEL must be one of ${severities.join(", ")}\n`);
    return 3;
  }
  const strict = process.env.ARGUS_AUDIT_STRICT === "1" || process.env.ARGUS_AUDIT_STRICT === "true";
  const attempts = Math.max(1, Number(process.env.ARGUS_AUDIT_ATTEMPTS ?? 3) || 3);
  let verdict: AuditVerdict = { kind: "unavailable", reason: "not run" };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const run = await pnpm(["audit", "--json", "--audit-level", level], 180_000);
    verdict = judgeAudit(run.code, run.stdout, run.stderr, level);
    if (verdict.kind !== "unavailable") break;
    if (attempt < attempts) {
      process.stderr.write(`audit: advisory service unavailable (try ${attempt} of ${attempts}); retrying\n`);
      await sleep(2_000 * 4 ** (attempt - 1));
    }
  }
  switch (verdict.kind) {
    case "clean":
      process.stdout.write(
        `audit: no advisory at ${level} or above (${verdict.dependencies ?? "?"} dependencies)\n`,
      );
      return 0;
    case "vulnerable":
      process.stdout.write(
        `audit: ${verdict.advisories.length} advisories at ${level} or above\n\n` +
          `${verdict.advisories.map(describe).join("\n\n")}\n\n` +
          "Fix: upgrade the dependency, or force a fixed version in pnpm-workspace.yaml `overrides:`;\n" +
          "accept one that does not apply by its GHSA id in `auditConfig.ignoreGhsas`, saying why.\n",
      );
      return 1;
    case "unavailable": {
      const what = `audit NOT RUN: the advisory service did not answer after ${attempts} tries\n${verdict.reason}\n`;
      // `::warning::` is shown as an annotation by GitHub Actions and is a plain line elsewhere.
      process.stdout.write(`::warning::${what}`);
      if (strict) process.stderr.write("ARGUS_AUDIT_STRICT is set: failing\n");
      return strict ? 2 : 0;
    }
    case "unreadable":
      process.stderr.write(`audit: cannot read what pnpm audit answered\n${verdict.reason}\n`);
      return 3;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) process.exitCode = await main();
