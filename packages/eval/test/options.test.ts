import { describe, expect, it } from "vitest";
import { parseOptions, UsageError } from "../src/options.js";

describe("command line", () => {
  it("runs the full evaluation with seed 1 and the benign-only replay by default", () => {
    expect(parseOptions([])).toEqual({ quick: false, seed: 1, benignRun: true, offline: false });
  });

  it("takes --quick, --seed N or --seed=N, and the `--` pnpm passes through", () => {
    expect(parseOptions(["--", "--quick", "--seed", "42"])).toEqual({
      quick: true,
      seed: 42,
      benignRun: true,
      offline: false,
    });
    expect(parseOptions(["--seed=-3", "--no-benign-run"])).toEqual({
      quick: false,
      seed: -3,
      benignRun: false,
      offline: false,
    });
    expect(parseOptions(["--offline"]).offline).toBe(true);
  });

  it("refuses what it does not understand instead of running something else", () => {
    expect(() => parseOptions(["--seed", "1.5"])).toThrow(UsageError);
    expect(() => parseOptions(["--seed"])).toThrow("--seed needs an integer, got nothing");
    expect(() => parseOptions(["--fast"])).toThrow("unknown argument --fast");
  });
});
