import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { link, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { onProcessExit } from "./exit-cleanup.js";
import { isAlive } from "./run-dir.js";

export interface FileLockOptions {
  /** Give up waiting for another process's lock after this long. */
  timeoutMs: number;
  /** Told once when the lock is held by someone else, so a wait is never silent. */
  onWait?: (holder: string) => void;
}

const POLL_MS = 200;
// Taking over a dead holder's lock lasts milliseconds: a takeover marker older than this belongs to
// a waiter that died in the middle of it.
const TAKEOVER_STALE_MS = 30_000;

/**
 * Runs `work` holding `path` as a lock shared by every process on the machine (two checkouts
 * running their tests at once, e.g. both resolving the Kafka jars into ~/.m2).
 *
 * The lock file appears at once with its content (written aside, then hard-linked into place, which
 * fails if the lock exists): its owner's pid and a token of this acquisition. A lock whose owner
 * died (a killed test run) is taken over rather than waited on forever; takeovers go one at a time
 * and remove the lock only if it still holds the dead owner's token, so a waiter never removes a
 * lock someone has just taken.
 */
export async function withFileLock<T>(
  path: string,
  work: () => Promise<T>,
  { timeoutMs, onWait }: FileLockOptions,
): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const owner = `${process.pid} ${randomBytes(8).toString("hex")}`;
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    if (await tryCreate(path, owner)) break;
    const holder = await readFile(path, "utf8").catch(() => undefined);
    if (holder === undefined) continue; // released meanwhile
    const pid = Number(holder.split(" ")[0]);
    if (!isAlive(pid)) {
      await takeOver(path, holder);
      continue;
    }
    if (!told) {
      told = true;
      onWait?.(`pid ${pid}`);
    }
    if (Date.now() > deadline)
      throw new Error(
        `${path} still held by pid ${pid} after ${timeoutMs / 1000} s (remove the file if that process is not an Argus test run)`,
      );
    await sleep(POLL_MS);
  }
  // A process that ends without reaching `finally` (process.exit during the work) releases it too.
  const releaseAtExit = onProcessExit(() => {
    if (readFileSync(path, "utf8") === owner) rmSync(path, { force: true });
  });
  try {
    return await work();
  } finally {
    releaseAtExit();
    await releaseIfOurs(path, owner);
  }
}

/** Creates the lock with `owner` as its content in one step; false when it exists. */
async function tryCreate(path: string, owner: string): Promise<boolean> {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(aside, owner);
  try {
    await link(aside, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(aside, { force: true });
  }
}

/** Removes the lock of a dead owner, unless it changed hands since it was read as `holder`. */
async function takeOver(path: string, holder: string): Promise<void> {
  const marker = `${path}.takeover`;
  const me = `${process.pid} ${randomBytes(8).toString("hex")}`;
  if (!(await tryCreate(marker, me))) {
    const since = await stat(marker).then(
      (info) => Date.now() - info.mtimeMs,
      () => 0,
    );
    if (since > TAKEOVER_STALE_MS) await rm(marker, { force: true });
    else await sleep(POLL_MS / 4);
    return;
  }
  try {
    if ((await readFile(path, "utf8").catch(() => undefined)) === holder) await rm(path, { force: true });
  } finally {
    await releaseIfOurs(marker, me);
  }
}

async function releaseIfOurs(path: string, owner: string): Promise<void> {
  if ((await readFile(path, "utf8").catch(() => undefined)) === owner) await rm(path, { force: true });
}
