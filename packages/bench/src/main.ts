import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { startStack } from "@argus/testkit";
import { benchAnomaly } from "./anomaly.js";
import { benchAnomalyKernels } from "./anomaly-kernels.js";
import { benchEndToEnd } from "./e2e.js";
import { benchKernels } from "./kernels.js";
import { say } from "./progress.js";

const flag = (name: string, fallback: number) =>
  Number(process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const events = flag("events", 200_000);
const clients = flag("clients", 1_000_000);

say(`Argus benchmark on ${cpus().length} cores, Node ${process.version}`);
const kernels = { ...benchKernels(), anomalyPerEvent: benchAnomalyKernels() };
say(`kernels: ${JSON.stringify(kernels)}`);
say("starting Kafka and Redis…");
const stack = await startStack({ log: (line) => say(`  ${line}`) });
let endToEnd: Awaited<ReturnType<typeof benchEndToEnd>>;
let anomaly: Awaited<ReturnType<typeof benchAnomaly>>;
try {
  endToEnd = await benchEndToEnd(stack, events);
  anomaly = await benchAnomaly(stack, events, clients);
} finally {
  await stack.stop();
}
const result = {
  date: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version },
  command: `pnpm bench --events=${events} --clients=${clients}`,
  kernels,
  endToEnd,
  anomaly,
};
mkdirSync("bench-results", { recursive: true });
const file = `bench-results/bench-${result.date.replace(/[:.]/g, "-")}.json`;
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
say(
  `anomaly-detector ${anomaly.anomalyDetector.eventsPerSecond} events/s vs bare ${anomaly.bareKafkajs.eventsPerSecond} (ratio ${anomaly.ratio}), ${anomaly.redis.bytesPerClientFromGrowth} Redis bytes per client over ${clients} clients, ScreenInput p99 ${anomaly.screenInputMs.p99} ms`,
);
say(
  `summary: drift-detector ${endToEnd.driftDetector.eventsPerSecond} events/s vs bare kafkajs ${endToEnd.bareKafkajs.eventsPerSecond} events/s (ratio ${endToEnd.ratio}), ${endToEnd.driftDetector.redisRoundTripsPerBatch} Redis round trips per batch, 100-feature report ${kernels.report100FeaturesMs} ms; written to ${file}`,
);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
