import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure logic, no I/O, fast) and `integration` (real Kafka from the official
// jars and a real redis-server, started once per run by the testkit in global setup).
export default defineConfig({
  test: {
    reporters: ["default", "./vitest.summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["{packages,services}/*/test/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["{packages,services}/*/test/**/*.int.test.ts"],
          globalSetup: ["./packages/testkit/src/vitest-global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // 2 cores: the broker, redis and the services under test share them with the test workers.
          maxWorkers: 2,
        },
      },
    ],
  },
});
