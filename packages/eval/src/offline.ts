// `pnpm eval:attacks --offline`: the same seeded stream, replayed through the anomaly-detector's pure
// batch planner in memory (12 partitions, batches of 500 events per partition, the service's default
// configuration) instead of Kafka, three replicas and the alerter. It answers "would the detectors
// catch this attacker, and whom would they accuse" in about a minute, so a miss can be reproduced and
// a change measured over many seeds; pages are not measured (that needs the alerter: the full run).
import { anomalyConfigSchema, detectPoliciesOf } from "@argus/anomaly-detector";
import { PartitionedDetector, parseInputSchemas } from "@argus/anomaly-detector/domain";
import { Finding } from "@argus/proto";
import { loadHeldoutCorpora } from "./corpora.js";
import { observeFinding } from "./findings.js";
import type { EvalOptions } from "./options.js";
import { elapsedSeconds, say } from "./progress.js";
import { eventBuilder, runPseudonymizer } from "./replay.js";
import { formatSummary, streamFacts, summarize } from "./report.js";
import { buildScenario, inputSchemas, scenarioSettings } from "./scenario.js";
import { evaluate } from "./scoring.js";
import { runTruth } from "./truth.js";

const partitions = 12;
const batchSize = 500;
/** Event time of the stream's start (any fixed instant: detectors judge by event time). */
const periodStartMs = Date.parse("2026-01-05T08:00:00Z");

export function evaluateOffline(options: EvalOptions): number {
  const corpora = loadHeldoutCorpora();
  const settings = scenarioSettings(options.quick);
  say(`generating the ${options.quick ? "quick" : "full"} stream from seed ${options.seed}…`);
  const scenario = buildScenario(options.seed, settings, corpora, true);
  const pseudonymizer = runPseudonymizer(options.seed);
  const toEvent = eventBuilder(scenario.endpoints, pseudonymizer, periodStartMs);
  const events = scenario.events.map(toEvent);

  // The service's defaults, as a deployment without overrides runs it.
  const config = anomalyConfigSchema.parse({
    KAFKA_BROKERS: "offline:9092",
    REDIS_URL: "redis://offline:6379",
    GRPC_PLAINTEXT: "true",
    ANOMALY_INPUT_SCHEMAS_FILE: "offline.yaml",
  });
  const policies = detectPoliciesOf(
    config,
    parseInputSchemas(inputSchemas(scenario.endpoints), "offline.yaml"),
  );
  const detector = new PartitionedDetector(partitions, policies, batchSize);
  say(`  planning ${events.length} events over ${partitions} partitions…`);
  detector.run(events);
  say(`  planned ${detector.processed} events`);
  if (detector.failures.length > 0)
    say(`  ${detector.failures.length} events failed a detector (they would be dead-lettered)`);

  const truth = runTruth(scenario, (clientId) => pseudonymizer.pseudonymize(clientId).id, periodStartMs);
  const findings = detector.findings.map(({ finding }) => observeFinding(Finding.encode(finding).finish()));
  const evaluation = evaluate(truth, findings);
  const noPages = { pages: 0, alertKinds: {}, pagesNamingBenign: 0, unverified: 0 };
  const summary = summarize({
    seed: options.seed,
    quick: options.quick,
    stream: streamFacts(scenario, partitions, 1),
    evaluation,
    attackRunPages: noPages,
    benignRunPages: noPages,
    wallSeconds: elapsedSeconds(),
  });
  process.stdout.write(`\n${formatSummary(summary, evaluation).join("\n")}\n`);
  process.stdout.write(
    "(offline: the batch planner in memory; pages are not measured, run without --offline)\n\n",
  );
  process.stdout.write(`${JSON.stringify({ ...summary, offline: true })}\n`);
  return summary.pass ? 0 : 1;
}
