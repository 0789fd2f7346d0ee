import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** What to install for each command local mode needs (Debian/Ubuntu package names). */
const packageFor: Record<string, string> = {
  java: "openjdk-17-jre-headless",
  mvn: "maven",
  "redis-server": "redis-server",
};

export function findOnPath(command: string, pathEnv = process.env.PATH ?? ""): string | undefined {
  for (const dir of pathEnv.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export function missingCommandsMessage(missing: string[]): string {
  const packages = missing.map((command) => packageFor[command] ?? command).join(" ");
  return [
    `@argus/testkit local mode needs ${missing.map((c) => `\`${c}\``).join(", ")} on PATH, which ${
      missing.length === 1 ? "is" : "are"
    } missing.`,
    "Either:",
    `  - install ${missing.length === 1 ? "it" : "them"}: sudo apt-get install -y ${packages}`,
    "  - or point at servers that already run: KAFKA_BROKERS=host:9092 REDIS_URL=redis://host:6379",
    "  - or, where Docker exists, run `docker compose up -d` and set those two variables,",
    "    or set ARGUS_TESTKIT=containers to let testcontainers start them.",
  ].join("\n");
}

/** Fails before anything starts, naming every missing command at once. */
export function assertCommands(commands: string[], pathEnv?: string): void {
  const missing = commands.filter((command) => findOnPath(command, pathEnv) === undefined);
  if (missing.length > 0) throw new Error(missingCommandsMessage(missing));
}
