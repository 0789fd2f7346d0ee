import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rename, rm } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { withFileLock } from "./file-lock.js";
import { assertCommands } from "./preflight.js";

export interface ClasspathOptions {
  pomPath: string;
  cacheDir: string;
  log: (line: string) => void;
}

export interface ResolvedClasspath {
  classpath: string;
  fromCache: boolean;
}

/**
 * The broker's classpath, resolved by Maven once per version of the pom and then read from the
 * cache: Maven costs a couple of seconds even offline, and most runs need nothing new.
 */
export async function resolveKafkaClasspath({
  pomPath,
  cacheDir,
  log,
}: ClasspathOptions): Promise<ResolvedClasspath> {
  const cacheFile = await cacheFileFor(pomPath, cacheDir);
  const cached = await readCachedClasspath(cacheFile);
  if (cached !== undefined) return { classpath: cached, fromCache: true };

  assertCommands(["mvn"]);
  // One Maven at a time on the machine: two runs downloading into the same ~/.m2 can leave a jar
  // or its metadata half-written for both.
  return withFileLock(
    join(cacheDir, "maven.lock"),
    async () => {
      // Resolved by the run we waited for: no Maven needed.
      const resolved = await readCachedClasspath(cacheFile);
      if (resolved !== undefined) return { classpath: resolved, fromCache: true };
      log("resolving Kafka jars with Maven (first run only)…");
      // Written aside and renamed, so a concurrent run never reads half a file.
      const partial = `${cacheFile}.${process.pid}.partial`;
      const args = ["-q", "-B", "-Dstyle.color=never", "-f", pomPath, "dependency:build-classpath"];
      await run("mvn", [...args, `-Dmdep.outputFile=${partial}`]);
      const classpath = (await readFile(partial, "utf8")).trim();
      if (classpath === "") {
        await rm(partial, { force: true });
        throw new Error(`Maven produced an empty classpath for ${pomPath}`);
      }
      await rename(partial, cacheFile);
      return { classpath, fromCache: false };
    },
    {
      timeoutMs: MAVEN_WAIT_MS,
      onWait: (holder) => log(`waiting for ${holder}, which is resolving the Kafka jars with Maven…`),
    },
  );
}

// A first download of the broker's jars on a slow network.
const MAVEN_WAIT_MS = 20 * 60_000;

/** Whether the next start can skip Maven (so preflight knows if `mvn` is needed). */
export async function hasCachedClasspath(pomPath: string, cacheDir: string): Promise<boolean> {
  return (await readCachedClasspath(await cacheFileFor(pomPath, cacheDir))) !== undefined;
}

/** Keyed by the pom's content: changing the Kafka version re-resolves, nothing else does. */
async function cacheFileFor(pomPath: string, cacheDir: string): Promise<string> {
  const hash = createHash("sha256")
    .update(await readFile(pomPath))
    .digest("hex")
    .slice(0, 16);
  return join(cacheDir, `kafka-classpath-${hash}.txt`);
}

/** undefined when there is no cache, or when a jar it names was since removed from ~/.m2. */
async function readCachedClasspath(file: string): Promise<string | undefined> {
  let classpath: string;
  try {
    classpath = (await readFile(file, "utf8")).trim();
  } catch {
    return undefined;
  }
  if (classpath === "") return undefined;
  return classpath.split(delimiter).every((jar) => existsSync(jar)) ? classpath : undefined;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} failed (exit ${code}):\n${output.slice(-8000)}`));
    });
  });
}
