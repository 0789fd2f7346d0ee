import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { startStack } from "@argus/testkit";
import { benchEndToEnd } from "./e2e.js";
import { benchKernels } from "./kernels.js";
import { say } from "./progress.js";

const events = Number(process.argv.find((arg) => arg.startsWith("--events="))?.split("=")[1] ?? 200_000);

say(`Argus benchmark on ${cpus().length} cores, Node ${process.version}`);
const kernels = benchKernels();
say(`kernels: ${JSON.stringify(kernels)}`);
say("starting Kafka and Redis…");
const stack = await startStack({ log: (line) => say(`  ${line}`) });
let endToEnd: Awaited<ReturnType<typeof benchEndToEnd>>;
try {
  endToEnd = await benchEndToEnd(stack, events);
} finally {
  await stack.stop();
}
const result = {
  date: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version },
  command: `pnpm bench --events=${events}`,
  kernels,
  endToEnd,
};
mkdirSync("bench-results", { recursive: true });
const file = `bench-results/bench-${result.date.replace(/[:.]/g, "-")}.json`;
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
say(
  `summary: drift-detector ${endToEnd.driftDetector.eventsPerSecond} events/s vs bare kafkajs ${endToEnd.bareKafkajs.eventsPerSecond} events/s (ratio ${endToEnd.ratio}), ${endToEnd.driftDetector.redisRoundTripsPerBatch} Redis round trips per batch, 100-feature report ${kernels.report100FeaturesMs} ms; written to ${file}`,
);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
