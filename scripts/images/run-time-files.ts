import { cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Plugin } from "esbuild";

/**
 * Dependencies find their own files at run time through `__dirname` / `__filename`, which an ESM
 * bundle does not define. The bundle gives each such module the folder it had in its package, under
 * `package-files/<package>/` next to main.js, and the packages below get the files they read copied
 * there. A dependency that uses `__dirname` and is in neither table fails the build: someone has to
 * decide whether it reads a file at run time before it ships.
 */
const packageRunTimeFiles: Record<string, readonly string[]> = {
  // health/v1/health.proto, loaded when the module is imported.
  "grpc-health-check": ["proto"],
  // reflection.proto, loaded when reflection is added to the server (GRPC_REFLECTION, on by default).
  "@grpc/reflection": ["build/proto/grpc/reflection"],
  // channelz and ORCA protos: Argus serves neither today; a few hundred KB so that turning one on works.
  "@grpc/grpc-js": ["proto"],
  // Its version, sent to Redis with CLIENT SETINFO (without it: "error-fetching-version").
  ioredis: ["package.json"],
};

/** Packages that mention `__dirname` / `__filename` for something Argus never reaches, and why. */
const packagesWithoutRunTimeFiles: Record<string, string> = {
  pino: "only for transports, which run in a worker thread; Argus logs to stdout without one",
  "thread-stream": "the worker of pino transports (see pino)",
  undici: "only to leave its own frames out of stack traces",
};

const bundleDirExpression = "__argusBundleDir";
const joinExpression = "__argusJoin";

/**
 * Defines `require` (CommonJS dependencies require Node's built-in modules) and what the
 * per-module `__dirname` of `runTimeFilesPlugin` is built from, at the top of the bundle.
 */
export const bundleBanner = [
  'import { createRequire as __argusCreateRequire } from "node:module";',
  `import { join as ${joinExpression} } from "node:path";`,
  "const require = __argusCreateRequire(import.meta.url);",
  `const ${bundleDirExpression} = import.meta.dirname;`,
].join("\n");

export const packageFilesDir = "package-files";

interface PackageFile {
  packageName: string;
  packageRoot: string;
  /** Folder of the module inside its package, "/"-separated ("" at the package root). */
  folder: string;
  fileName: string;
}

const selfLocation = /\b__(dirname|filename)\b/;
const moduleLocation = /\bimport\.meta\.(?:url|dirname|filename)\b/;
const declaresSelfLocation = /\b(?:const|let|var)\s+__(?:dirname|filename)\b/;
const nodeModulesPath = /^(.*[\\/]node_modules[\\/])((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](.+)$/;

function packageFileOf(path: string): PackageFile | undefined {
  const match = nodeModulesPath.exec(path);
  if (!match) return undefined;
  const [, modulesDir, packageDir, inside] = match as unknown as [string, string, string, string];
  const parts = inside.split(/[\\/]/);
  const fileName = parts.pop() as string;
  return {
    packageName: packageDir.replace(/\\/g, "/"),
    packageRoot: join(modulesDir, packageDir),
    folder: parts.join("/"),
    fileName,
  };
}

export interface RunTimeFiles {
  plugin: Plugin;
  /**
   * After the build: checks every package that located itself is in one of the tables, then copies
   * the listed files into `outDir/package-files/` and makes the folders modules resolve `..` from.
   */
  copyTo(outDir: string): void;
}

/** An esbuild plugin giving modules of dependencies a `__dirname` / `__filename` in the bundle. */
export function runTimeFiles(): RunTimeFiles {
  const located = new Map<string, { packageRoot: string; folders: Set<string> }>();
  // An ES module finding its files from import.meta.url would find them next to the bundle instead.
  const locatedByModuleUrl = new Set<string>();
  const plugin: Plugin = {
    name: "argus-run-time-files",
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, (args) => {
        const contents = readFileSync(args.path, "utf8");
        const file = packageFileOf(args.path);
        if (!file) return undefined;
        if (moduleLocation.test(contents)) locatedByModuleUrl.add(file.packageName);
        if (!selfLocation.test(contents) || declaresSelfLocation.test(contents)) return undefined;
        const entry = located.get(file.packageName) ?? { packageRoot: file.packageRoot, folders: new Set() };
        entry.folders.add(file.folder);
        located.set(file.packageName, entry);
        const folder = JSON.stringify(
          [packageFilesDir, file.packageName, file.folder].filter(Boolean).join("/"),
        );
        const prologue =
          `var __dirname = ${joinExpression}(${bundleDirExpression}, ${folder}), ` +
          `__filename = ${joinExpression}(__dirname, ${JSON.stringify(file.fileName)}); `;
        // On the module's first line (after a #! line), so that its source map lines stay where they were.
        const hashbang = contents.startsWith("#!") ? contents.indexOf("\n") + 1 : 0;
        return { contents: contents.slice(0, hashbang) + prologue + contents.slice(hashbang), loader: "js" };
      });
    },
  };
  return {
    plugin,
    copyTo(outDir) {
      const undecided = [...located.keys()].filter(
        (name) => !(name in packageRunTimeFiles) && !(name in packagesWithoutRunTimeFiles),
      );
      if (undecided.length > 0)
        throw new Error(
          `${undecided.join(", ")} locate their own files (__dirname): list each in scripts/images/run-time-files.ts, ` +
            "with the files it reads at run time or why it reads none",
        );
      const byModuleUrl = [...locatedByModuleUrl].filter((name) => !(name in packagesWithoutRunTimeFiles));
      if (byModuleUrl.length > 0)
        throw new Error(
          `${byModuleUrl.join(", ")} locate their own files from import.meta.url, which in the bundle is main.js: ` +
            "bundle them another way, or list them in scripts/images/run-time-files.ts with why they read none",
        );
      for (const [name, { packageRoot, folders }] of located) {
        const files = packageRunTimeFiles[name];
        if (!files) continue;
        const target = join(outDir, packageFilesDir, name);
        // Modules reach their files as `${__dirname}/../../proto`: every folder on the way must exist.
        for (const folder of folders) mkdirSync(join(target, folder), { recursive: true });
        for (const file of files) {
          const source = join(packageRoot, file);
          if (!existsSync(source)) throw new Error(`${name} has no ${file} to carry into the bundle`);
          mkdirSync(dirname(join(target, file)), { recursive: true });
          cpSync(source, join(target, file), { recursive: true, dereference: true });
        }
      }
    },
  };
}
