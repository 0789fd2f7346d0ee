import { setTimeout as sleep } from "node:timers/promises";
import kafkajs from "kafkajs";

const { Kafka, logLevel } = kafkajs;

export interface KafkaReadyOptions {
  timeoutMs: number;
  /** Aborts the wait early, e.g. when the broker process has exited. */
  signal?: AbortSignal;
}

/**
 * Waits until the cluster answers a metadata request listing a broker and a controller. An open
 * port is not enough: KRaft accepts connections before the broker is unfenced and can serve
 * produce/fetch, and kafkajs would then fail the first test with "no leader" errors.
 */
export async function waitForKafkaReady(
  brokers: string[],
  { timeoutMs, signal }: KafkaReadyOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "no attempt yet";
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    const admin = new Kafka({
      clientId: "argus-testkit-probe",
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1_000,
      requestTimeout: 2_000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) return;
      lastError = `metadata lists ${cluster.brokers.length} broker(s), controller ${cluster.controller}`;
    } catch (error) {
      lastError = (error as Error).message;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    await sleep(250, undefined, { signal }).catch(() => {});
  }
  throw new Error(`Kafka at ${brokers.join(",")} not ready after ${timeoutMs / 1000} s (last: ${lastError})`);
}
