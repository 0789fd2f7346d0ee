import type { Pseudonymizer } from "@argus/sdk";
import { observeFinding } from "./findings.js";
import { topicSize, waitForDrain } from "./lag.js";
import { pagesSeen } from "./pages.js";
import { clientGroupWaitMs, groupIntervalMs, type Phase, startPhase } from "./phase.js";
import { say } from "./progress.js";
import { replay } from "./replay.js";
import type { PagesSeen } from "./report.js";
import type { Scenario } from "./scenario.js";
import type { ObservedFinding } from "./scoring.js";

export interface PhaseResult {
  periodStartMs: number;
  findings: ObservedFinding[];
  pages: PagesSeen;
}

export interface PhaseSetup {
  label: string;
  scenario: Scenario;
  kafkaBrokers: string[];
  redisUrl: string;
  schemasFile: string;
  partitions: number;
  detectorReplicas: number;
  pseudonymizer: Pseudonymizer;
  /** How long the detectors, then the alerter, may take to catch up with the replay. */
  drainTimeoutMs: number;
  /** Pseudonyms of the benign clients, to tell which pages name one. */
  benignPseudonyms: ReadonlySet<string>;
}

/**
 * Replays one scenario into its own set of services and collects what they concluded: every
 * finding once the detectors have consumed the whole stream, and every page once the alerter has
 * consumed every finding and the webhooks have gone quiet.
 */
export async function runPhase(setup: PhaseSetup): Promise<PhaseResult> {
  const log = (line: string) => say(`${setup.label} run: ${line.trimStart()}`);
  log(`${setup.scenario.events.length} events`);
  const phase = await startPhase({
    label: setup.label,
    kafkaBrokers: setup.kafkaBrokers,
    redisUrl: setup.redisUrl,
    schemasFile: setup.schemasFile,
    partitions: setup.partitions,
    detectorReplicas: setup.detectorReplicas,
    say: log,
  });
  try {
    return await replayAndCollect(setup, phase, log);
  } finally {
    await phase.stop();
  }
}

async function replayAndCollect(
  setup: PhaseSetup,
  phase: Phase,
  say: (line: string) => void,
): Promise<PhaseResult> {
  const periodMs = setup.scenario.settings.traffic.periodMs;
  // The simulated period ends just before now: event times are never in the future.
  const periodStartMs = Math.floor((Date.now() - periodMs - 60_000) / 1_000) * 1_000;
  const total = setup.scenario.events.length;
  await replay({
    kafkaBrokers: setup.kafkaBrokers,
    topic: phase.topics.inference,
    endpoints: setup.scenario.endpoints,
    events: setup.scenario.events,
    pseudonymizer: setup.pseudonymizer,
    periodStartMs,
    progress: (sent) => say(`  replayed ${sent}/${total} events`),
  });
  const drain = (group: string, topic: string, what: string) =>
    waitForDrain(phase.admin, group, topic, {
      timeoutMs: setup.drainTimeoutMs,
      reportEveryMs: 10_000,
      report: (lag) => say(`  ${what}: ${lag} records to go`),
      alive: () => phase.assertAlive(),
    });
  await drain(phase.groups.anomaly, phase.topics.inference, "anomaly-detectors");
  say("  anomaly-detectors consumed the whole stream");
  const published = await topicSize(phase.admin, phase.topics.findings);
  await phase.findings.waitUntil((messages) => messages.length >= published, 60_000, "findings");
  say(`  ${published} findings published; waiting for the alerter…`);
  await drain(phase.groups.alerter, phase.topics.findings, "alerter");
  await webhooksSettled(
    phase,
    { notBeforeMs: clientGroupWaitMs + 5_000, notAfterMs: clientGroupWaitMs + groupIntervalMs + 15_000 },
    say,
  );
  const byId = new Map<string, ObservedFinding>();
  for (const message of phase.findings.messages) {
    if (message.value === null) continue;
    const finding = observeFinding(message.value);
    if (!byId.has(finding.findingId)) byId.set(finding.findingId, finding);
  }
  const pages = pagesSeen(phase.receiver.received, setup.benignPseudonyms);
  say(`  ${byId.size} findings, ${pages.pages} pages`);
  return { periodStartMs, findings: [...byId.values()], pages };
}

/**
 * After the alerter has read every finding, its notifications still wait for their group (the
 * client group wait) and go out through its outbox; a group that grew meanwhile is notified again
 * one group interval later. Pages are counted once none has arrived for 15 s, but not before the
 * group wait has passed and not beyond one group interval after it (re-notifications of groups
 * that keep changing are the same alerts, paged again).
 */
async function webhooksSettled(
  phase: Phase,
  timing: { notBeforeMs: number; notAfterMs: number },
  say: (line: string) => void,
): Promise<void> {
  const quietMs = 15_000;
  const started = Date.now();
  let count = phase.receiver.received.length;
  let changedAt = Date.now();
  let reportedAt = Date.now();
  for (;;) {
    const waited = Date.now() - started;
    if (waited >= timing.notAfterMs) break;
    if (waited >= timing.notBeforeMs && Date.now() - changedAt >= quietMs) break;
    phase.assertAlive();
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (phase.receiver.received.length !== count) {
      count = phase.receiver.received.length;
      changedAt = Date.now();
    }
    if (Date.now() - reportedAt >= 10_000) {
      reportedAt = Date.now();
      say(`  ${count} webhooks so far`);
    }
  }
}
