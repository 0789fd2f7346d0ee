import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./services.js";

/**
 * Argus' own modules that read a file next to themselves (through import.meta.url), the file, and
 * where it goes in dist/. In the bundle, import.meta.url is dist/<service>/main.js's.
 */
const workspaceRunTimeFiles: Record<string, { file: string; distPath: string }> = {
  // descriptorSetPath is "../descriptor.binpb" from the module: from dist/<service>/main.js, dist/descriptor.binpb.
  "packages/proto/src/index.ts": { file: "packages/proto/descriptor.binpb", distPath: "descriptor.binpb" },
};

const moduleLocation = /\bimport\.meta\.(?:url|dirname|filename)\b|\b__(?:dirname|filename)\b/;

/**
 * Copies the files of the bundled workspace modules that locate themselves; fails on such a module
 * that is not in the table, whose file the image would not have.
 */
export function copyWorkspaceRunTimeFiles(bundleInputs: string[], distDir: string): void {
  const workspaceModules = bundleInputs.filter(
    (input) => !input.includes("node_modules/") && /\.[cm]?[jt]s$/.test(input),
  );
  const unlisted = workspaceModules.filter(
    (input) =>
      !(input in workspaceRunTimeFiles) && moduleLocation.test(readFileSync(join(repoRoot, input), "utf8")),
  );
  if (unlisted.length > 0)
    throw new Error(
      `${unlisted.join(", ")} locate files from their own path, which the bundle changes: ` +
        "list them in scripts/images/workspace-run-time-files.ts with the file they read",
    );
  for (const input of workspaceModules) {
    const entry = workspaceRunTimeFiles[input];
    if (entry) copyFileSync(join(repoRoot, entry.file), join(distDir, entry.distPath));
  }
}
