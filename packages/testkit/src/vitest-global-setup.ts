import type { TestProject } from "vitest/node";
import { startStack } from "./stack.js";

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    redisUrl: string;
  }
}

/**
 * One Kafka and one Redis for the whole integration run (test files isolate themselves with
 * topic prefixes and key prefixes); tests read them with inject("kafkaBrokers") / inject("redisUrl").
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startStack({ log: (line) => process.stderr.write(`[testkit] ${line}\n`) });
  process.stderr.write(
    `[testkit] ${stack.mode} stack: kafka ${stack.kafkaBrokers.join(",")}, ${stack.redisUrl}\n`,
  );
  project.provide("kafkaBrokers", stack.kafkaBrokers);
  project.provide("redisUrl", stack.redisUrl);
  return () => stack.stop();
}
