// One timed run of a consumer process over a pre-filled topic: throughput from its first committed
// batch to its last (start-up and group join are not throughput), and the CPU its process used in
// that span, read from /proc. Every consumer here commits once per batch, so committed offsets are
// a progress signal that costs the measured process nothing.
import type { ChildProcess } from "node:child_process";
import type { Admin } from "kafkajs";
import { processCpuSeconds } from "./process-cpu.js";

export interface ConsumerRun {
  name: string;
  /** Events consumed inside the timed span. */
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** CPU µs of the consumer's process per event (user + system). */
  usPerEvent: number;
}

export interface ConsumerUnderTest {
  name: string;
  groupId: string;
  child: ChildProcess;
  /** Recent output, shown when the process dies. */
  output: () => string[];
  stop: () => Promise<void>;
}

export async function topicEnd(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
}

export async function committed(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (entry?.partitions ?? []).reduce((sum, partition) => sum + Math.max(0, Number(partition.offset)), 0);
}

export async function timeConsumer(
  admin: Admin,
  topic: string,
  consumer: ConsumerUnderTest,
  { timeoutMs = 600_000, pollMs = 50 } = {},
): Promise<ConsumerRun> {
  const pid = consumer.child.pid;
  if (pid === undefined) throw new Error(`${consumer.name} did not start`);
  const total = await topicEnd(admin, topic);
  const deadline = Date.now() + timeoutMs;
  let start: { at: number; cpu: number; done: number } | undefined;
  try {
    while (Date.now() < deadline) {
      if (consumer.child.exitCode !== null)
        throw new Error(
          `${consumer.name} exited with ${consumer.child.exitCode}:\n${consumer.output().slice(-20).join("\n")}`,
        );
      const done = await committed(admin, consumer.groupId, topic);
      const at = performance.now();
      if (start === undefined && done > 0) start = { at, cpu: processCpuSeconds(pid), done };
      if (start !== undefined && done >= total) {
        const cpu = processCpuSeconds(pid) - start.cpu;
        const events = total - start.done;
        const seconds = (at - start.at) / 1000;
        if (events <= 0 || seconds <= 0)
          throw new Error(`${consumer.name} consumed the whole topic in its first batch: use more events`);
        return {
          name: consumer.name,
          events,
          seconds,
          eventsPerSecond: events / seconds,
          usPerEvent: (cpu * 1e6) / events,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    throw new Error(`${consumer.name} did not consume ${total} events in ${timeoutMs} ms`);
  } finally {
    await consumer.stop();
  }
}
