import { spawnSync } from "node:child_process";
import { repoRoot } from "./services.js";

export interface PodmanResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs podman in the repository root; never throws for an exit code. */
export function podmanResult(args: string[]): PodmanResult {
  const result = spawnSync("podman", args, { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error)
    throw new Error(`podman could not run (apt-get install -y podman): ${result.error.message}`);
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs podman and returns its trimmed output, or throws with what it wrote to stderr. */
export function podman(args: string[]): string {
  const result = podmanResult(args);
  if (result.status !== 0)
    throw new Error(
      `podman ${args.join(" ")} exited ${result.status}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  return result.stdout.trim();
}

export function imageSizeBytes(image: string): number {
  return Number(podman(["image", "inspect", "--format", "{{.Size}}", image]));
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
