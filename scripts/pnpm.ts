import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("..", import.meta.url));

export interface PnpmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The pnpm that runs this script (`pnpm <script>` puts it in npm_execpath), else the version that
 * package.json pins, through npx (as the README's commands do).
 */
function pnpmCommand(): [string, string[]] {
  const running = process.env.npm_execpath;
  if (running && /pnpm[^/\\]*$/.test(running) && !/\.c?js$/.test(running)) return [running, []];
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    packageManager?: string;
  };
  return ["npx", ["-y", manifest.packageManager ?? "pnpm"]];
}

/** Runs `pnpm <args>` in the repository root and collects its output; never throws for an exit code. */
export function pnpm(args: string[], timeoutMs = 300_000): Promise<PnpmResult> {
  const [command, prefix] = pnpmCommand();
  return new Promise((resolve) => {
    const child = spawn(command, [...prefix, ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    const done = (code: number, extra = "") => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8") + extra,
      });
    };
    child.on("error", (error) => done(127, `${command}: ${error.message}`));
    child.on("close", (code, signal) => done(code ?? 128, signal ? `killed by ${signal}` : ""));
  });
}
