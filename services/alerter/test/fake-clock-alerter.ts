import type { Finding } from "@argus/proto";
import {
  createLogger,
  createRedis,
  keyspace,
  OffsetFence,
  offsetFenceKey,
  plaintextEvidence,
  type Redis,
  ROOT_CONTEXT,
  trace,
} from "@argus/runtime";
import { startWebhookReceiver, uniqueNamespace, type WebhookReceiver } from "@argus/testkit";
import { AlertStore } from "../src/adapters/alert-store.js";
import { guardedAgent } from "../src/adapters/egress.js";
import { createFindingsHandler } from "../src/adapters/findings-handler.js";
import { GroupFlusher } from "../src/adapters/group-flusher.js";
import { OutboxDispatcher } from "../src/adapters/outbox-dispatcher.js";
import { RoutingConfigSource } from "../src/adapters/routing-config-source.js";
import { SilenceStore } from "../src/adapters/silence-store.js";
import { alerterConfigSchema } from "../src/config.js";
import { eventually, signingSecret } from "./harness.js";

const findingsTopic = "argus.findings.v1";
const partitions = 3;

/**
 * The alerter's decision path on a fake clock, on real Redis: the findings handler, the group
 * flusher and the outbox of the alerter, wired as the alerter wires them, with the
 * environment-only configuration (one signed webhook to a local receiver). Findings are handed to
 * the handler as consumed batches (no broker: the fake clock could not move a broker's time).
 *
 * The handler and the flusher read the fake clock, which the test moves; the outbox keeps the real
 * one, so webhooks are signed with a time the receiver accepts. The fake clock runs in the past,
 * so whatever the flusher queues is due for the outbox at once.
 */
export class FakeClockAlerter {
  now: number;
  readonly store: AlertStore;
  /** The alerter's own client: tests read and write its keys through it. */
  readonly redis: Redis;
  private readonly flusher: GroupFlusher;
  private readonly outbox: OutboxDispatcher;
  private readonly handler: ReturnType<typeof createFindingsHandler>;
  private readonly offsets = Array.from({ length: partitions }, () => 0);

  private constructor(
    redisUrl: string,
    readonly receiver: WebhookReceiver,
    start: number,
    env: Record<string, string>,
  ) {
    this.now = start;
    const logger = createLogger("alerter-fake-clock", "silent");
    const tracer = trace.getTracer("alerter-fake-clock");
    const config = loadAlerterConfig(redisUrl, receiver.url, env);
    const routing = new RoutingConfigSource(config).current;
    const key = keyspace(uniqueNamespace("alerter-fake-clock"), "alerter");
    this.redis = createRedis(redisUrl, logger);
    this.store = new AlertStore(this.redis, key, config.ALERTER_RESOLVED_RETENTION_MS, plaintextEvidence);
    const clock = () => new Date(this.now);
    const egress = { allow: config.ALERTER_EGRESS_ALLOW };
    this.outbox = new OutboxDispatcher({
      redis: this.redis,
      store: this.store,
      routing: () => routing,
      http: { timeoutMs: 5_000, egress, dispatcher: guardedAgent(egress, 5_000) },
      policy: { initialBackoffMs: 100, maxBackoffMs: 1_000, maxAgeMs: 24 * 3_600_000 },
      tracer,
      logger,
      pollMs: 20,
      publishFindings: async () => {},
    });
    this.flusher = new GroupFlusher({
      redis: this.redis,
      store: this.store,
      silences: new SilenceStore(this.redis, this.store.silencesKey),
      routing: () => routing,
      tracer,
      logger,
      pollMs: 20,
      clock,
      onQueued: () => this.outbox.wake(),
    });
    this.handler = createFindingsHandler({
      store: this.store,
      fence: new OffsetFence(this.redis, (topic, partition) =>
        offsetFenceKey(key, config.ALERTER_CONSUMER_GROUP, topic, partition),
      ),
      tracer,
      clock,
      routing: () => routing,
      onGrouped: () => this.flusher.wake(),
    });
  }

  static async start(
    redisUrl: string,
    start: number,
    env: Record<string, string> = {},
  ): Promise<FakeClockAlerter> {
    const alerter = new FakeClockAlerter(redisUrl, await startWebhookReceiver(signingSecret), start, env);
    alerter.outbox.start();
    alerter.flusher.start();
    return alerter;
  }

  /** Findings consumed now: one batch per partition they fall on (by fingerprint, like the producer). */
  async consume(findings: Finding[]): Promise<void> {
    for (let partition = 0; partition < partitions; partition++) {
      const mine = findings.filter((finding) => partitionOf(finding.fingerprint) === partition);
      if (mine.length === 0) continue;
      const first = this.offsets[partition] ?? 0;
      this.offsets[partition] = first + mine.length;
      await this.handler({
        topic: findingsTopic,
        partition,
        records: mine.map((value, index) => ({
          topic: findingsTopic,
          partition,
          offset: String(first + index),
          key: Buffer.from(value.fingerprint),
          value,
          raw: null,
          headers: {},
          timestamp: String(this.now),
          traceContext: ROOT_CONTEXT,
        })),
        lastOffset: String(first + mine.length - 1),
        deadLetter: async () => {},
      });
    }
    await this.settle();
  }

  /**
   * Moves the clock to `until`, stopping at each group flush due on the way (as the flusher's poll
   * would find it) until it is flushed and what it queued is delivered.
   */
  async advanceTo(until: number): Promise<void> {
    for (;;) {
      const [gid, score] = await this.redis.zrange(this.store.groupsDueKey, 0, 0, "WITHSCORES");
      if (gid === undefined || Number(score) > until) break;
      this.now = Math.max(this.now, Number(score));
      this.flusher.wake();
      await this.settle();
    }
    this.now = until;
  }

  /** The outbox looks now (for items a test stored itself). */
  wakeOutbox(): void {
    this.outbox.wake();
  }

  /** Waits until no group is due at the clock's time and the outbox holds nothing. */
  private async settle(): Promise<void> {
    await eventually(
      async () => {
        const [due, outbox] = await Promise.all([
          this.redis.zcount(this.store.groupsDueKey, "-inf", this.now),
          this.redis.zcard(this.store.dueKey),
        ]);
        return { due, outbox };
      },
      ({ due, outbox }) => due === 0 && outbox === 0,
      20_000,
      (state) => `groups due ${state.due}, outbox items ${state.outbox}`,
    );
  }

  async stop(): Promise<void> {
    await this.flusher.stop();
    await this.outbox.stop();
    this.redis.disconnect();
    await this.receiver.close();
  }
}

function loadAlerterConfig(redisUrl: string, webhookUrl: string, env: Record<string, string>) {
  return alerterConfigSchema.parse({
    // No broker is used: findings are handed to the handler.
    KAFKA_BROKERS: "127.0.0.1:9",
    REDIS_URL: redisUrl,
    ALERTER_WEBHOOK_URL: webhookUrl,
    ALERTER_WEBHOOK_SECRET: signingSecret,
    ALERTER_EGRESS_ALLOW: "127.0.0.1/32",
    ...env,
  });
}

function partitionOf(fingerprint: string): number {
  let hash = 0;
  for (const char of fingerprint) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % partitions;
}
