import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, realpath, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { findOnPath } from "./preflight.js";

export interface ClassDataSharing {
  /** JVM flags for the broker: use the archive, or record one at exit if there is none yet. */
  brokerArgs: string[];
  /** JVM flags for short-lived tools (storage format): use the archive if there is one. */
  toolArgs: string[];
  /** After the broker exited cleanly: keep the archive it recorded for the next runs. */
  keepRecorded(): Promise<void>;
}

/**
 * Application class-data sharing for the broker. Loading and verifying Kafka's ~45 jars is most of
 * its startup on a 2-core machine (about 4.5 s); with an archive of the classes a previous run
 * loaded it takes about 2.5 s, and the storage format about half as long. The first run records
 * the archive when the broker exits (a one-off ~2.5 s at stop). The key covers the classpath and
 * the java binary, because an archive only fits the JVM build that wrote it (a mismatched one is
 * ignored by the JVM, so a stale key costs speed, never correctness).
 */
export async function classDataSharing(
  cacheDir: string,
  classpath: string,
  runDir: string,
): Promise<ClassDataSharing> {
  const java = findOnPath("java");
  const javaPath = java ? await realpath(java) : "java";
  const javaMtime = java ? (await stat(javaPath)).mtimeMs : 0;
  const key = createHash("sha256")
    .update(`${classpath}\n${javaPath}\n${javaMtime}`)
    .digest("hex")
    .slice(0, 16);
  const archive = join(cacheDir, `kafka-cds-${key}.jsa`);

  if (existsSync(archive)) {
    const use = [`-XX:SharedArchiveFile=${archive}`];
    return { brokerArgs: use, toolArgs: use, keepRecorded: async () => {} };
  }
  // Recorded inside the run folder, so a run that is killed leaves nothing half-written in the cache.
  const recorded = join(runDir, "kafka.jsa");
  return {
    brokerArgs: [`-XX:ArchiveClassesAtExit=${recorded}`],
    toolArgs: [],
    async keepRecorded() {
      if (!existsSync(recorded) || existsSync(archive)) return;
      await mkdir(cacheDir, { recursive: true });
      const partial = `${archive}.${process.pid}.partial`;
      try {
        // copy, then rename: the cache may be on another filesystem than the run folder
        await copyFile(recorded, partial);
        await rename(partial, archive);
      } catch {
        await rm(partial, { force: true });
      }
    },
  };
}
