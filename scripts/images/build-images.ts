/**
 * `pnpm images` (after `pnpm build`): the three production images with podman, from
 * deploy/docker/Dockerfile, on BASE_IMAGE if set, else on localhost/argus-base:bookworm made here by
 * deploy/docker/local-base.sh (no registry needed). Tags argus/<service>:$ARGUS_IMAGE_TAG (dev),
 * then prints each image's size.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { imageSizeBytes, megabytes, podman } from "./podman.js";
import {
  defaultImageTag,
  distDir,
  imageName,
  imageSizeBudgetBytes,
  repoRoot,
  serviceImages,
} from "./services.js";

export const localBaseImage = "localhost/argus-base:bookworm";

function ensureLocalBase(): void {
  const made = spawnSync(join(repoRoot, "deploy/docker/local-base.sh"), { stdio: "inherit" });
  if (made.status !== 0) throw new Error("deploy/docker/local-base.sh failed");
}

function main(): void {
  if (!existsSync(join(distDir, "node"))) throw new Error("dist/ is not built: run `pnpm build` first");
  const base = process.env.BASE_IMAGE ?? localBaseImage;
  if (base === localBaseImage) ensureLocalBase();
  const rows: string[] = [];
  for (const service of serviceImages) {
    const image = imageName(service.name, defaultImageTag);
    process.stdout.write(`building ${image} on ${base}\n`);
    podman([
      "build",
      // The docker format keeps HEALTHCHECK, which the OCI image format has no field for.
      "--format",
      "docker",
      "--file",
      "deploy/docker/Dockerfile",
      "--build-arg",
      `BASE_IMAGE=${base}`,
      "--build-arg",
      `SERVICE=${service.name}`,
      "--build-arg",
      `GRPC_PORT=${service.grpcPort}`,
      "--build-arg",
      `HTTP_PORT=${service.httpPort}`,
      "--tag",
      image,
      ".",
    ]);
    const size = imageSizeBytes(image);
    const verdict = size < imageSizeBudgetBytes ? "under" : "OVER";
    rows.push(
      `${image.padEnd(32)} ${megabytes(size).padStart(9)}  (${verdict} the ${megabytes(imageSizeBudgetBytes)} target)`,
    );
  }
  process.stdout.write(`\n${rows.join("\n")}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`images: ${(error as Error).message}\n`);
  process.exit(1);
}
