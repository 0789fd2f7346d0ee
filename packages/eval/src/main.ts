import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStack } from "@argus/testkit";
import { loadHeldoutCorpora } from "./corpora.js";
import { evaluateOffline } from "./offline.js";
import { parseOptions, UsageError, usage } from "./options.js";
import { elapsedSeconds, say } from "./progress.js";
import { runPseudonymizer } from "./replay.js";
import { formatSummary, type PagesSeen, streamFacts, summarize } from "./report.js";
import { runPhase } from "./run-phase.js";
import { benignOnly, buildScenario, inputSchemas, scenarioSettings } from "./scenario.js";
import { evaluate } from "./scoring.js";
import { runTruth } from "./truth.js";

const partitions = 12;
const detectorReplicas = 3;

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${usage}\n`);
    return 2;
  }
  const cleanup: (() => Promise<void> | void)[] = [];
  const runCleanup = async () => {
    for (const step of cleanup.splice(0).reverse()) await Promise.resolve(step()).catch(() => {});
  };
  process.once("SIGINT", () => void runCleanup().then(() => process.exit(130)));
  try {
    if (options.offline) return evaluateOffline(options);
    return await evaluateRun(options, cleanup);
  } catch (error) {
    await runCleanup();
    say(`the evaluation could not finish: ${(error as Error).stack ?? error}`);
    process.stdout.write(
      `${JSON.stringify({ pass: false, seed: options.seed, mode: options.quick ? "quick" : "full", error: (error as Error).message })}\n`,
    );
    return 1;
  } finally {
    await runCleanup();
  }
}

async function evaluateRun(
  options: ReturnType<typeof parseOptions>,
  cleanup: (() => Promise<void> | void)[],
): Promise<number> {
  const corpora = loadHeldoutCorpora();
  const settings = scenarioSettings(options.quick);
  say(`generating the ${options.quick ? "quick" : "full"} stream from seed ${options.seed}…`);
  const scenario = buildScenario(options.seed, settings, corpora, true);
  const pseudonymizer = runPseudonymizer(options.seed);
  const pseudonymOf = (clientId: string) => pseudonymizer.pseudonymize(clientId).id;
  const stream = streamFacts(scenario, partitions, detectorReplicas);
  say(
    `  ${stream.events} events, ${stream.benignClients} benign clients, ${stream.attackers} attackers, ` +
      `${stream.textEvents} prompts (${stream.textAttackEvents} attacks)`,
  );

  say("starting Kafka and Redis (or using KAFKA_BROKERS / REDIS_URL)…");
  const stack = await startStack({ log: (line) => say(`  ${line}`) });
  cleanup.push(() => stack.stop());
  say(`  stack ready (${stack.mode})`);
  const workDir = mkdtempSync(join(tmpdir(), "argus-eval-"));
  cleanup.push(() => rmSync(workDir, { recursive: true, force: true }));
  const schemasFile = join(workDir, "models.yaml");
  writeFileSync(schemasFile, inputSchemas(scenario.endpoints));

  const truthWithoutTime = runTruth(scenario, pseudonymOf, 0);
  const common = {
    kafkaBrokers: stack.kafkaBrokers,
    redisUrl: stack.redisUrl,
    schemasFile,
    partitions,
    detectorReplicas,
    pseudonymizer,
    drainTimeoutMs: (options.quick ? 3 : 10) * 60_000,
    benignPseudonyms: new Set(truthWithoutTime.benign.map((client) => client.pseudonym)),
  };
  // Side by side, each in its own namespace: most of a replay's wall time is the alerter's group
  // waits, and the detectors judge by event time, so sharing the CPU does not change what they see.
  const [attackRun, benignRun] = await Promise.allSettled([
    runPhase({ ...common, label: "attack", scenario }),
    options.benignRun ? runPhase({ ...common, label: "benign", scenario: benignOnly(scenario) }) : undefined,
  ]);
  // Both settled first, so neither leaves its services running behind the other's failure.
  if (attackRun.status === "rejected") throw attackRun.reason;
  if (benignRun.status === "rejected") throw benignRun.reason;
  const attack = attackRun.value;
  const benign = benignRun.value;
  const benignRunPages: PagesSeen | null = benign?.pages ?? null;
  const truth = runTruth(scenario, pseudonymOf, attack.periodStartMs);
  const evaluation = evaluate(truth, attack.findings);

  say("stopping services, Kafka and Redis…");
  const wasCleaned = cleanup.splice(0).reverse();
  for (const step of wasCleaned) await Promise.resolve(step()).catch(() => {});

  const summary = summarize({
    seed: options.seed,
    quick: options.quick,
    stream,
    evaluation,
    attackRunPages: attack.pages,
    benignRunPages,
    wallSeconds: elapsedSeconds(),
  });
  process.stdout.write(`\n${formatSummary(summary, evaluation).join("\n")}\n\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return summary.pass ? 0 : 1;
}

process.exit(await main());
