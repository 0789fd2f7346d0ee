import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./services.js";

const requiredMajor = 24;

/**
 * Copies the Node binary of the node@24 package (the one every script here runs on) to `target`,
 * without its symbol table unless ARGUS_KEEP_NODE_SYMBOLS=1: 18 MB of the 200 MB budget, used only
 * by native debuggers and profilers (`perf`); JavaScript stack traces do not need it.
 */
export function stageNode(target: string): { version: string; note: string } {
  const source = realpathSync(join(repoRoot, "node_modules", "node", "bin", "node"));
  const version = spawnSync(source, ["--version"], { encoding: "utf8" }).stdout.trim();
  if (!version.startsWith(`v${requiredMajor}.`))
    throw new Error(`${source} is Node ${version || "(did not run)"}, not ${requiredMajor}`);
  if (process.env.ARGUS_KEEP_NODE_SYMBOLS === "1") {
    copyFileSync(source, target);
    chmodSync(target, 0o755);
    return { version, note: "with symbols: ARGUS_KEEP_NODE_SYMBOLS=1" };
  }
  const strip = spawnSync("strip", ["--strip-all", "-o", target, source], { encoding: "utf8" });
  if (strip.error || strip.status !== 0) {
    copyFileSync(source, target);
    chmodSync(target, 0o755);
    return { version, note: "with symbols: no binutils strip here, the image is ~18 MB larger" };
  }
  chmodSync(target, 0o755);
  return { version, note: "symbols stripped" };
}
