// `pnpm bench`: speed and memory figures of Argus. Progress on stderr; a table, then one JSON object
// as the last line of stdout (also written to bench-results/), so any run compares with the last.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { startStack } from "@argus/testkit";
import { benchAnomaly } from "./anomaly.js";
import { benchAnomalyKernels } from "./anomaly-kernels.js";
import { benchKernels } from "./kernels.js";
import { benchThroughput } from "./processes/throughput.js";
import { say } from "./progress.js";
import { formatSpread, table } from "./summary.js";

const flag = (name: string, fallback: number) =>
  Number(process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const events = flag("events", 200_000);
const repeats = flag("repeats", 3);
// Redis bytes per client and ScreenInput latency with many distinct clients (in-process, slow): opt-in.
const clients = flag("clients", 0);
if (!(events >= 20_000) || !(repeats >= 1)) throw new Error("--events must be ≥ 20000 and --repeats ≥ 1");

say(`Argus benchmark on ${cpus().length} cores, Node ${process.version}`);
const kernels = { ...benchKernels(), anomalyPerEvent: benchAnomalyKernels() };
say("starting Kafka and Redis (or using KAFKA_BROKERS / REDIS_URL)…");
const stack = await startStack({ log: (line) => say(`  ${line}`) });
let throughput: Awaited<ReturnType<typeof benchThroughput>>;
let manyClients: Awaited<ReturnType<typeof benchAnomaly>> | undefined;
try {
  throughput = await benchThroughput(stack, events, repeats);
  if (clients > 0) manyClients = await benchAnomaly(stack, events, clients);
} finally {
  await stack.stop();
}

const result = {
  date: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version },
  command: `pnpm bench --events=${events} --repeats=${repeats}${clients > 0 ? ` --clients=${clients}` : ""}`,
  drift: {
    ratio_vs_bare: throughput.drift.ratioVsBare.median,
    us_per_event: throughput.drift.usPerEvent.median,
  },
  anomaly: {
    ratio_vs_bare: throughput.anomaly.ratioVsBare.median,
    us_per_event: throughput.anomaly.usPerEvent.median,
  },
  decode: { ratio_vs_bare: throughput.bareDecode.ratioVsBare.median },
  throughput,
  kernels,
  ...(manyClients ? { manyClients } : {}),
};
mkdirSync("bench-results", { recursive: true });
const file = `bench-results/bench-${result.date.replace(/[:.]/g, "-")}.json`;
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

const rows = (["bare", "bareDecode", "drift", "anomaly"] as const).map((kind) => {
  const figures = throughput[kind];
  return [
    kind,
    formatSpread(figures.eventsPerSecond, 0),
    formatSpread(figures.usPerEvent, 1),
    formatSpread(figures.ratioVsBare, 3),
  ];
});
process.stdout.write(
  `\n${events} events, ${throughput.features} numeric features, ${throughput.partitions} partitions; each consumer its own process; min / median / max of ${repeats} interleaved runs\n\n`,
);
process.stdout.write(`${table(["consumer", "events/s", "CPU µs per event", "ratio vs bare"], rows)}\n\n`);
say(`written to ${file}`);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
