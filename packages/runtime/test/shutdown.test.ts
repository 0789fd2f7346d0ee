import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { Shutdown } from "../src/shutdown.js";

const logger = createLogger("shutdown-test", "silent");

describe("Shutdown", () => {
  it("stops in reverse order of start, adjacent consumers at once", async () => {
    const events: string[] = [];
    const shutdown = new Shutdown(logger);
    shutdown.add("redis", async () => {
      events.push("redis");
    });
    // Each consumer's stop finishes only once the other one has started stopping: run one after
    // the other, they would wait for each other until the timeout.
    let release: () => void = () => {};
    const bothStopping = new Promise<void>((resolve) => {
      let started = 0;
      release = () => {
        if (++started === 2) resolve();
      };
    });
    for (const name of ["consumer a", "consumer b"]) {
      shutdown.add(
        name,
        async () => {
          events.push(`${name} stopping`);
          release();
          await bothStopping;
          events.push(`${name} stopped`);
        },
        { together: "consumers" },
      );
    }
    shutdown.add("grpc server", async () => {
      events.push("grpc server");
    });
    await shutdown.run(60_000);
    expect(events[0]).toBe("grpc server");
    expect(events.slice(1, 3).sort()).toEqual(["consumer a stopping", "consumer b stopping"]);
    expect(events.slice(3, 5).sort()).toEqual(["consumer a stopped", "consumer b stopped"]);
    expect(events[5]).toBe("redis");
  });
});
