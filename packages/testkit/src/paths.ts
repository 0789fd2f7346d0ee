import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** deploy/local/kafka of this checkout: the pom that pins the broker jars and the log4j2 config. */
export const kafkaDeployDir = fileURLToPath(new URL("../../../deploy/local/kafka/", import.meta.url));

/** Survives `rm -rf node_modules` and is shared by every checkout on the machine. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ARGUS_CACHE_DIR) return env.ARGUS_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "argus");
}
