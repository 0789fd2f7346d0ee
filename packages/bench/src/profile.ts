// `pnpm bench:profile --consumer=drift|anomaly|bareDecode`: one consumer process over the bench's
// pre-filled topic, run under V8's sampling profiler, then the functions that spent the most CPU
// (self time, summed by function and file) — where to look before and after an optimization. The
// .cpuprofile files stay in bench-results/profiles/ for Chrome DevTools.
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { startStack } from "@argus/testkit";
import { timeConsumer } from "./processes/consumer-run.js";
import { type ConsumerKind, startConsumer } from "./processes/consumers.js";
import { throughputEnv, withThroughputTopic } from "./processes/throughput.js";
import { say } from "./progress.js";
import { round, table } from "./summary.js";

const option = (name: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1];
const kind = (option("consumer") ?? "drift") as ConsumerKind;
if (!["bare", "bareDecode", "drift", "anomaly"].includes(kind))
  throw new Error(`--consumer must be bare, bareDecode, drift or anomaly (got ${kind})`);
const events = Number(option("events") ?? 100_000);
const top = Number(option("top") ?? 30);
if (!(events >= 20_000)) throw new Error("--events must be ≥ 20000");

const directory = resolve(
  "bench-results/profiles",
  `${kind}-${new Date().toISOString().replace(/[:.]/g, "-")}`,
);
mkdirSync(directory, { recursive: true });
say("starting Kafka and Redis (or using KAFKA_BROKERS / REDIS_URL)…");
const stack = await startStack({ log: (line) => say(`  ${line}`) });
try {
  await withThroughputTopic(stack, "profile", events, async ({ admin, namespace, topic }) => {
    say(`profiling ${kind}…`);
    const consumer = await startConsumer(kind, stack, namespace, topic, "p", {
      ...throughputEnv(),
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --cpu-prof --cpu-prof-dir=${directory}`.trim(),
    });
    const run = await timeConsumer(admin, topic, consumer);
    say(
      `${run.name}: ${Math.round(run.eventsPerSecond).toLocaleString("en-US")} events/s, ${round(run.usPerEvent, 1)} µs CPU per event`,
    );
  });
} finally {
  await stack.stop();
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

// The service process and, through NODE_OPTIONS, tsx's loader process both write a profile: the
// largest one is the service.
const files = readdirSync(directory).filter((file) => file.endsWith(".cpuprofile"));
const profiles = files.map(
  (file) => JSON.parse(readFileSync(resolve(directory, file), "utf8")) as CpuProfile,
);
const profile = profiles.sort((a, b) => b.samples.length - a.samples.length)[0];
if (profile === undefined) throw new Error(`no .cpuprofile written in ${directory}`);
const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const node = byNode.get(id);
  const micros = profile.timeDeltas[i] ?? 0;
  if (!node) return;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^file:\/\/.*?\/(node_modules|services|packages)\//, "$1/");
  const name = `${functionName || "(anonymous)"} ${where}${url ? `:${lineNumber + 1}` : ""}`;
  selfMicros.set(name, (selfMicros.get(name) ?? 0) + micros);
  total += micros;
});
const rows = [...selfMicros.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)
  .map(([name, micros]) => [`${round((100 * micros) / total, 1)} %`, name]);
process.stdout.write(`\n${table(["self", "function"], rows)}\n\nprofiles in ${directory}\n`);
process.exit(0);
