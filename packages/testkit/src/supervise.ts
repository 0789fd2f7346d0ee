import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { onProcessExit } from "./exit-cleanup.js";

/**
 * Runs "$@" under a small sh supervisor whose stdin is a pipe from this Node process. The pipe
 * reaches EOF when Node dies for any reason, including SIGKILL or a signal Node does not handle,
 * and the supervisor then stops the program: no orphaned broker survives a crashed test run.
 * The supervisor forwards SIGTERM/SIGINT and exits only once the program has exited, so its own
 * exit means the program is gone.
 */
const SUPERVISOR = `
exec 3<&0
"$@" </dev/null 3<&- &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
( while read -r _; do :; done <&3; kill -TERM "$child" 2>/dev/null ) &
status=0
wait "$child" || status=$?
while kill -0 "$child" 2>/dev/null; do wait "$child" || status=$?; done
exit "$status"
`;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisedProcess {
  readonly pid: number;
  /** Settles once the program has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the program is gone. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

export interface SuperviseOptions {
  command: string;
  args: string[];
  cwd: string;
  /** stdout and stderr are appended here. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

export function supervise({ command, args, cwd, logFile, env }: SuperviseOptions): SupervisedProcess {
  const out = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    // detached: the supervisor leads its own process group, so one kill(-pid) reaches the program
    // too, and a terminal Ctrl-C does not race with our orderly stop().
    child = spawn("sh", ["-c", SUPERVISOR, "argus-supervise", command, ...args], {
      cwd,
      env: env ?? process.env,
      detached: true,
      stdio: ["pipe", out, out],
    });
  } finally {
    closeSync(out);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${command}`);

  let done = false;
  const signalGroup = (signal: NodeJS.Signals) => {
    if (done) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  const unregister = onProcessExit(() => signalGroup("SIGKILL"));
  const exited = new Promise<ExitInfo>((resolve) => {
    const finish = (info: ExitInfo) => {
      if (done) return;
      done = true;
      unregister();
      child.stdin?.destroy();
      resolve(info);
    };
    child.once("exit", (code, signal) => finish({ code, signal }));
    child.once("error", () => finish({ code: null, signal: null }));
  });

  return {
    pid,
    exited,
    hasExited: () => done,
    async stop(graceMs = 15_000) {
      if (done) return exited;
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
