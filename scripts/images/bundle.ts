/**
 * `pnpm build`: everything the production images take from this checkout, in dist/
 * (deploy/docker/Dockerfile copies it; docs/images.md):
 *
 *   dist/<service>/main.js    the service and its dependencies in one ES module, with main.js.map
 *   dist/<service>/package-files/   files dependencies read at run time (./run-time-files.ts)
 *   dist/descriptor.binpb     gRPC reflection's descriptor set (./workspace-run-time-files.ts)
 *   dist/healthcheck.mjs      the images' HEALTHCHECK
 *   dist/node                 Node from the node@24 package, without its symbol table
 *
 * The generated protobuf code must exist (`pnpm gen`; `pnpm build` runs it first).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { stageNode } from "./node-binary.js";
import { bundleBanner, runTimeFiles } from "./run-time-files.js";
import { distDir, repoRoot, serviceImages } from "./services.js";
import { copyWorkspaceRunTimeFiles } from "./workspace-run-time-files.js";

const nodeTarget = "node24";

async function bundleService(service: string): Promise<string[]> {
  const outDir = join(distDir, service);
  const files = runTimeFiles();
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: { main: `services/${service}/src/main.ts` },
    outdir: outDir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: nodeTarget,
    // Not minified, so stack traces read without the map; NODE_OPTIONS=--enable-source-maps maps
    // them to the TypeScript (~80 MB more memory, so off by default). The sources stay out of the
    // map: they are in the repository at the image's commit.
    sourcemap: "linked",
    sourcesContent: false,
    banner: { js: bundleBanner },
    plugins: [files.plugin],
    metafile: true,
    logLevel: "warning",
  });
  files.copyTo(outDir);
  return Object.keys(result.metafile.inputs);
}

async function bundleHealthcheck(): Promise<void> {
  await build({
    absWorkingDir: repoRoot,
    entryPoints: ["scripts/images/healthcheck.ts"],
    outfile: join(distDir, "healthcheck.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: nodeTarget,
    logLevel: "warning",
  });
}

export async function bundleAll(): Promise<void> {
  rmSync(distDir, { recursive: true, force: true });
  const inputs = new Set<string>();
  for (const { name } of serviceImages) {
    for (const input of await bundleService(name)) inputs.add(input);
    process.stdout.write(`bundled ${name} into dist/${name}/main.js\n`);
  }
  copyWorkspaceRunTimeFiles([...inputs], distDir);
  await bundleHealthcheck();
  const node = stageNode(join(distDir, "node"));
  process.stdout.write(`staged Node ${node.version} as dist/node (${node.note})\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    await bundleAll();
  } catch (error) {
    process.stderr.write(`build failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
