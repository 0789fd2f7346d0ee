/**
 * Synchronous clean-up that must run even when the host process ends without calling stop()
 * (a test run that throws, process.exit in a reporter, …). Runs last-registered first, so a
 * process is killed before the folder it writes to is removed.
 */
const tasks = new Set<() => void>();
let installed = false;

export function onProcessExit(task: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on("exit", () => {
      for (const run of [...tasks].reverse()) {
        try {
          run();
        } catch {
          // best effort: the process is going away anyway
        }
      }
    });
  }
  tasks.add(task);
  return () => tasks.delete(task);
}
