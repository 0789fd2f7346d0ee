// `pnpm bench`: speed and memory figures of Argus. Progress on stderr; a table, then one JSON object
// as the last line of stdout (also written to bench-results/), so any run compares with the last.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { startStack } from "@argus/testkit";
import { benchAnomaly } from "./anomaly.js";
import { benchAnomalyKernels } from "./anomaly-kernels.js";
import { benchKernels } from "./kernels.js";
import { benchAlerter } from "./processes/alerter.js";
import { benchDriftMemory } from "./processes/drift-memory.js";
import { benchPipeline } from "./processes/pipeline.js";
import { benchThroughput, throughputFeatures } from "./processes/throughput.js";
import { say } from "./progress.js";
import { benchSdk } from "./sdk.js";
import { formatSpread, table } from "./summary.js";

const flag = (name: string, fallback: number) =>
  Number(process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const events = flag("events", 200_000);
const repeats = flag("repeats", 3);
// Redis bytes per client and ScreenInput latency with many distinct clients (in-process, slow): opt-in.
const clients = flag("clients", 0);
const alerts = flag("alerts", 3_000);
// Simulated days of drift windows whose Redis memory is measured (14 = the default retention).
const memoryDays = flag("memory-days", 14);
if (!(events >= 20_000) || !(repeats >= 1)) throw new Error("--events must be ≥ 20000 and --repeats ≥ 1");
// `--only=alerter,sdk`: just those sections (while working on one figure); the default runs them all.
const sections = ["throughput", "sdk", "alerter", "pipeline", "memory"] as const;
type Section = (typeof sections)[number];
const only = process.argv
  .find((arg) => arg.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",")
  .filter(Boolean);
for (const name of only ?? [])
  if (!(sections as readonly string[]).includes(name))
    throw new Error(`--only: unknown section "${name}" (sections: ${sections.join(", ")})`);
const runs = (section: Section) => only === undefined || only.includes(section);

say(`Argus benchmark on ${cpus().length} cores, Node ${process.version}`);
const kernels = { ...benchKernels(), anomalyPerEvent: benchAnomalyKernels() };
say("starting Kafka and Redis (or using KAFKA_BROKERS / REDIS_URL)…");
const stack = await startStack({ log: (line) => say(`  ${line}`) });
let throughput: Awaited<ReturnType<typeof benchThroughput>> | undefined;
let manyClients: Awaited<ReturnType<typeof benchAnomaly>> | undefined;
let sdk: Awaited<ReturnType<typeof benchSdk>> | undefined;
let alerter: Awaited<ReturnType<typeof benchAlerter>> | undefined;
let pipeline: Awaited<ReturnType<typeof benchPipeline>> | undefined;
let driftMemory: Awaited<ReturnType<typeof benchDriftMemory>> | undefined;
try {
  if (runs("throughput")) throughput = await benchThroughput(stack, events, repeats);
  if (runs("sdk")) sdk = await benchSdk(stack, Math.min(events, 100_000), throughputFeatures);
  if (runs("alerter")) alerter = await benchAlerter(stack, alerts);
  if (runs("pipeline")) pipeline = await benchPipeline(stack, 5_000, 30);
  if (runs("memory")) driftMemory = await benchDriftMemory(stack, memoryDays, 200, throughputFeatures);
  if (clients > 0) manyClients = await benchAnomaly(stack, events, clients);
} finally {
  await stack.stop();
}

const result = {
  date: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version },
  command: `pnpm bench --events=${events} --repeats=${repeats} --alerts=${alerts} --memory-days=${memoryDays}${clients > 0 ? ` --clients=${clients}` : ""}${only ? ` --only=${only.join(",")}` : ""}`,
  ...(throughput && {
    drift: {
      ratio_vs_bare: throughput.drift.ratioVsBare.median,
      us_per_event: throughput.drift.usPerEvent.median,
    },
    anomaly: {
      ratio_vs_bare: throughput.anomaly.ratioVsBare.median,
      us_per_event: throughput.anomaly.usPerEvent.median,
    },
    decode: { ratio_vs_bare: throughput.bareDecode.ratioVsBare.median },
  }),
  anomaly_text: {
    input_us_per_kb: kernels.anomalyPerEvent.textInputUsPerKb,
    output_us_per_kb: kernels.anomalyPerEvent.textOutputUsPerKb,
  },
  ...(sdk && {
    sdk: { record_us: sdk.recordUs.median, calls_that_waited: sdk.callsThatWaited, dropped: sdk.dropped },
  }),
  ...(alerter && {
    alerter: {
      webhooks_per_s: alerter.webhooksPerSecond,
      cpu_us_per_webhook: alerter.cpuUsPerWebhook,
      redis_bytes_per_webhook: alerter.redisBytesInPerWebhook,
    },
  }),
  ...(pipeline && {
    pipeline: { p50_ms_at_5k: pipeline.p50Ms, p99_ms_at_5k: pipeline.p99Ms, missing: pipeline.missing },
  }),
  ...(driftMemory && { redis: { drift_mib_per_model_14d: driftMemory.mibPerModel14d } }),
  throughput,
  sdkRecord: sdk,
  alerterRun: alerter,
  pipelineRun: pipeline,
  driftMemory,
  kernels,
  ...(manyClients ? { manyClients } : {}),
};
mkdirSync("bench-results", { recursive: true });
const file = `bench-results/bench-${result.date.replace(/[:.]/g, "-")}.json`;
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

if (throughput) {
  const measured = throughput;
  const rows = (["bare", "bareDecode", "drift", "anomaly"] as const).map((kind) => {
    const figures = measured[kind];
    return [
      kind,
      formatSpread(figures.eventsPerSecond, 0),
      formatSpread(figures.usPerEvent, 1),
      formatSpread(figures.ratioVsBare, 3),
    ];
  });
  process.stdout.write(
    `\n${events} events, ${measured.features} numeric features, ${measured.partitions} partitions; each consumer its own process; min / median / max of ${repeats} interleaved runs\n\n`,
  );
  process.stdout.write(`${table(["consumer", "events/s", "CPU µs per event", "ratio vs bare"], rows)}\n`);
}
const text = kernels.anomalyPerEvent;
const figures: string[][] = [
  [
    "anomaly text scanning, one core (µs per KB)",
    `input ${text.textInputUsPerKb.short} at 175 B, ${text.textInputUsPerKb.long8k} at 8 KB; output ${text.textOutputUsPerKb.short} / ${text.textOutputUsPerKb.long8k}`,
  ],
];
if (sdk)
  figures.push([
    "sdk record() on the caller's thread",
    `${sdk.recordUs.median} µs (calls that waited: ${sdk.callsThatWaited}; dropped with the buffer full: ${sdk.dropped})`,
  ]);
if (alerter)
  figures.push([
    "alerter, one replica",
    `${alerter.webhooksPerSecond} webhooks/s, ${alerter.cpuUsPerWebhook} µs CPU and ${alerter.redisBytesInPerWebhook} bytes to Redis per webhook`,
  ]);
if (pipeline)
  figures.push([
    "event → verified webhook at 5k events/s",
    `p50 ${pipeline.p50Ms} ms, p99 ${pipeline.p99Ms} ms (${pipeline.missing} missing)`,
  ]);
if (driftMemory)
  figures.push([
    `drift Redis memory, one ${throughputFeatures}-feature model`,
    `${driftMemory.mibPerModel14d} MiB for 14 days (measured over ${memoryDays} simulated days)`,
  ]);
if (figures.length > 0) process.stdout.write(`\n${table(["figure", "value"], figures)}\n\n`);
say(`written to ${file}`);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
