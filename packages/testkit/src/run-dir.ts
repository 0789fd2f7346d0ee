import { rmSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onProcessExit } from "./exit-cleanup.js";

const OWNER = ".owner-pid";

export interface RunDir {
  path: string;
  /** Removes the folder now. */
  remove(): Promise<void>;
  /** Keeps the folder for a post-mortem: neither exit clean-up nor later runs will remove it. */
  keep(): Promise<void>;
}

/**
 * A temp folder for one server run. It is removed when the host process exits without stopping the
 * server; when the host was killed outright, the next run removes it, recognising it by the dead
 * owner pid.
 */
export async function createRunDir(prefix: string, parent = tmpdir()): Promise<RunDir> {
  await pruneAbandoned(prefix, parent);
  const path = await mkdtemp(join(parent, prefix));
  await writeFile(join(path, OWNER), String(process.pid));
  const unregister = onProcessExit(() => rmSync(path, { recursive: true, force: true, maxRetries: 2 }));
  return {
    path,
    async remove() {
      unregister();
      await rm(path, { recursive: true, force: true, maxRetries: 2 });
    },
    async keep() {
      unregister();
      await rm(join(path, OWNER), { force: true });
    },
  };
}

async function pruneAbandoned(prefix: string, parent: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((name) => name.startsWith(prefix))
      .map(async (name) => {
        const dir = join(parent, name);
        const owner = Number(await readFile(join(dir, OWNER), "utf8").catch(() => ""));
        if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
          await rm(dir, { recursive: true, force: true }).catch(() => {});
        }
      }),
  );
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
