import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../src/logger.js";
import { PollingLoop } from "../src/polling-worker.js";

describe("a polling loop (fake clock)", () => {
  const logger = createLogger("polling-test", "silent");

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function counting(pass: () => Promise<void> = async () => {}) {
    let passes = 0;
    return {
      pass: async () => {
        passes++;
        await pass();
      },
      passes: () => passes,
    };
  }

  it("passes at start, then once every poll", async () => {
    const work = counting();
    const loop = new PollingLoop("test", work.pass, 1_000, logger);
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(work.passes()).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(work.passes()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(work.passes()).toBe(2);
    await loop.stop();
  });

  it("with firstPassAfterPoll, waits one poll before its first pass", async () => {
    const work = counting();
    const loop = new PollingLoop("test", work.pass, 1_000, logger, { firstPassAfterPoll: true });
    loop.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(work.passes()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(work.passes()).toBe(1);
    await loop.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(work.passes()).toBe(1);
  });

  it("passes at once when woken, and again right after a pass that was woken during it", async () => {
    let finish: () => void = () => {};
    const work = counting(() => new Promise<void>((resolve) => (finish = resolve)));
    const loop = new PollingLoop("test", work.pass, 60_000, logger);
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    loop.wake(); // during the first pass
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(work.passes()).toBe(2);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    loop.wake(); // while waiting for the next poll
    await vi.advanceTimersByTimeAsync(0);
    expect(work.passes()).toBe(3);
    finish();
    await loop.stop();
  });

  it("logs a failed pass and keeps polling", async () => {
    const failing = createLogger("polling-test", "silent");
    const logged = vi.spyOn(failing, "error");
    const work = counting(async () => {
      throw new Error("redis went away");
    });
    const loop = new PollingLoop("index sweep", work.pass, 1_000, failing);
    loop.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(work.passes()).toBe(2);
    expect(logged).toHaveBeenCalledWith({ err: "redis went away" }, "index sweep pass failed");
    await loop.stop();
  });

  it("stops only after the pass in flight has finished", async () => {
    let finish: () => void = () => {};
    const work = counting(() => new Promise<void>((resolve) => (finish = resolve)));
    const loop = new PollingLoop("test", work.pass, 1_000, logger);
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(work.passes()).toBe(1);
  });
});
