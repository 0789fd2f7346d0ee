import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { withFileLock } from "../src/file-lock.js";

const holder = fileURLToPath(new URL("./fixtures/lock-holder.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "argus-file-lock-"));
let testIndex = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts contenders that each take the lock once, all at the same moment; their exit codes. */
async function contend(lock: string, log: string, ids: string[]): Promise<(number | null)[]> {
  const children = ids.map((id) =>
    spawn(process.execPath, ["--import", "tsx", holder, lock, log, id], {
      stdio: ["pipe", "pipe", "inherit"],
    }),
  );
  const exits = children.map(
    (child) => new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code))),
  );
  await Promise.all(children.map((child) => once(child.stdout, "data")));
  for (const child of children) child.stdin.end("go\n");
  return Promise.all(exits);
}

/** The pid of a process that has exited: the owner of a lock left behind by a killed run. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid as number;
}

describe("withFileLock", () => {
  it("lets one process at a time in, across processes", async () => {
    const lock = join(dir, `${++testIndex}.lock`);
    const log = join(dir, `${testIndex}.log`);
    const contenders = ["a", "b", "c"];
    expect(await contend(lock, log, contenders)).toEqual([0, 0, 0]);
    const lines = (await readFile(log, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(6);
    for (let i = 0; i < lines.length; i += 2) {
      const id = lines[i]?.replace("enter ", "");
      expect(lines.slice(i, i + 2)).toEqual([`enter ${id}`, `leave ${id}`]);
    }
    expect(existsSync(lock)).toBe(false);
  }, 60_000);

  it("takes over the lock of a run that was killed", async () => {
    const lock = join(dir, `${++testIndex}.lock`);
    await writeFile(lock, `${await deadPid()} 0123456789abcdef`);
    const waited: string[] = [];
    const result = await withFileLock(lock, async () => "done", {
      timeoutMs: 60_000,
      onWait: (who) => waited.push(who),
    });
    expect(result).toBe("done");
    expect(waited).toEqual([]);
    expect(existsSync(lock)).toBe(false);
  });

  it("waits for a live holder and names it when giving up", async () => {
    const lock = join(dir, `${++testIndex}.lock`);
    await writeFile(lock, `${process.pid} fedcba9876543210`);
    const waited: string[] = [];
    let ran = false;
    await expect(
      withFileLock(
        lock,
        async () => {
          ran = true;
        },
        { timeoutMs: 300, onWait: (who) => waited.push(who) },
      ),
    ).rejects.toThrow(`${lock} still held by pid ${process.pid}`);
    expect(ran).toBe(false);
    expect(waited).toEqual([`pid ${process.pid}`]);
    // Someone else's lock is left as it was.
    expect(await readFile(lock, "utf8")).toBe(`${process.pid} fedcba9876543210`);
  });

  it("releases the lock when the work fails", async () => {
    const lock = join(dir, `${++testIndex}.lock`);
    await expect(
      withFileLock(
        lock,
        async () => {
          throw new Error("mvn failed");
        },
        { timeoutMs: 1_000 },
      ),
    ).rejects.toThrow("mvn failed");
    expect(existsSync(lock)).toBe(false);
    expect(await withFileLock(lock, async () => 1, { timeoutMs: 1_000 })).toBe(1);
  });
});
