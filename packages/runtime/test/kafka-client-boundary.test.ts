// Decision 27: the runtime and the SDK reach kafkajs through one adapter module each, so that
// another Kafka client means writing one adapter. A kafkajs import anywhere else breaks that.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

async function sourcesImportingKafkajs(folder: string): Promise<string[]> {
  const entries = await readdir(join(repoRoot, folder), { recursive: true });
  const importing: string[] = [];
  for (const entry of entries.filter((name) => name.endsWith(".ts")).sort()) {
    const source = await readFile(join(repoRoot, folder, entry), "utf8");
    if (/\bfrom\s+["']kafkajs["']|import\(\s*["']kafkajs["']\s*\)/.test(source))
      importing.push(relative(repoRoot, join(repoRoot, folder, entry)));
  }
  return importing;
}

describe("where kafkajs is imported", () => {
  it("only by the runtime's adapter, kafka.ts", async () => {
    expect(await sourcesImportingKafkajs("packages/runtime/src")).toEqual(["packages/runtime/src/kafka.ts"]);
  });

  it("only by the SDK's adapter, kafkajs-producer.ts", async () => {
    expect(await sourcesImportingKafkajs("packages/sdk/src")).toEqual([
      "packages/sdk/src/kafkajs-producer.ts",
    ]);
  });

  it("by no service's source", async () => {
    const services = await readdir(join(repoRoot, "services"));
    const importing = await Promise.all(
      services.map((name) => sourcesImportingKafkajs(`services/${name}/src`)),
    );
    expect(importing.flat()).toEqual([]);
  });
});
