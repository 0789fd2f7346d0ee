import { describe, expect, it } from "vitest";
import { defaultDriftConfig, driftConfigs, parseDriftConfigs } from "../src/domain/drift-config.js";

const file = "config/drift.yaml";

function parseError(text: string): string {
  try {
    parseDriftConfigs(text, file);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the settings to be rejected");
}

describe("default drift settings (Evidently's defaults)", () => {
  it("uses KS p < 0.05 up to 1000 reference rows, Wasserstein 0.1, chi-square p 0.05, JS 0.1, share 0.5", () => {
    const config = parseDriftConfigs("", file).forModel("any-model");
    expect(config.smallReferenceRows).toBe(1000);
    expect(config.ksPValue).toBe(0.05);
    expect(config.wassersteinThreshold).toBe(0.1);
    expect(config.chiSquarePValue).toBe(0.05);
    expect(config.jensenShannonThreshold).toBe(0.1);
    expect(config.datasetDriftShare).toBe(0.5);
    expect(config).toEqual(defaultDriftConfig);
  });

  it("an empty or comment-only file gives the defaults", () => {
    expect(parseDriftConfigs("# nothing yet\n", file).forModel("m")).toEqual(defaultDriftConfig);
    expect(driftConfigs().forModel("m")).toEqual(defaultDriftConfig);
  });
});

describe("overrides", () => {
  const text = `
defaults:
  window: 10m
  ksPValue: 0.01
  featureThresholds:
    age: 0.2
models:
  fraud:
    window: 30s
    allowedLateness: 500ms
    datasetDriftShare: 0.3
    featureThresholds:
      income: 0.15
  churn:
    window: 1h
    wassersteinThreshold: 0.2
    pcaComponents: 0
`;
  const configs = parseDriftConfigs(text, file);

  it("file defaults apply to every model; built-in defaults fill the rest", () => {
    const other = configs.forModel("unknown");
    expect(other.windowMs).toBe(600_000);
    expect(other.ksPValue).toBe(0.01);
    expect(other.featureThresholds).toEqual({ age: 0.2 });
    expect(other.allowedLatenessMs).toBe(defaultDriftConfig.allowedLatenessMs);
    expect(other.wassersteinThreshold).toBe(0.1);
  });

  it("per-model settings override the file defaults and merge feature thresholds", () => {
    const fraud = configs.forModel("fraud");
    expect(fraud.windowMs).toBe(30_000);
    expect(fraud.allowedLatenessMs).toBe(500);
    expect(fraud.datasetDriftShare).toBe(0.3);
    expect(fraud.ksPValue).toBe(0.01);
    expect(fraud.featureThresholds).toEqual({ age: 0.2, income: 0.15 });
  });

  it("one model's overrides do not leak into another", () => {
    const churn = configs.forModel("churn");
    expect(churn.windowMs).toBe(3_600_000);
    expect(churn.wassersteinThreshold).toBe(0.2);
    expect(churn.pcaComponents).toBe(0);
    expect(churn.datasetDriftShare).toBe(0.5);
    expect(churn.featureThresholds).toEqual({ age: 0.2 });
    expect(configs.forModel("fraud").pcaComponents).toBe(defaultDriftConfig.pcaComponents);
  });

  it("durations: the alerter's grammar (5m, 30s, 500ms, 1h, 1h30m, 1d) and plain milliseconds", () => {
    const window = (value: string) =>
      parseDriftConfigs(`defaults:\n  window: ${value}\n`, file).forModel("m").windowMs;
    expect(window("5m")).toBe(300_000);
    expect(window("30s")).toBe(30_000);
    expect(window("500ms")).toBe(500);
    expect(window("1h")).toBe(3_600_000);
    expect(window("1h30m")).toBe(5_400_000);
    expect(window("1d")).toBe(86_400_000);
    expect(window("120000")).toBe(120_000);
  });

  it("allowed lateness may be zero (a window closes at its end), written either way", () => {
    expect(
      parseDriftConfigs("defaults:\n  allowedLateness: 0s\n", file).forModel("m").allowedLatenessMs,
    ).toBe(0);
    expect(parseDriftConfigs("defaults:\n  allowedLateness: 0\n", file).forModel("m").allowedLatenessMs).toBe(
      0,
    );
  });
});

describe("bad settings name the file and the field", () => {
  it("a wrong value names the model and field path", () => {
    const message = parseError("models:\n  fraud:\n    ksPValue: 1.5\n");
    expect(message).toContain(file);
    expect(message).toContain("models.fraud.ksPValue");
  });

  it("a bad duration names the field and shows the expected format", () => {
    const message = parseError("defaults:\n  window: 5 minutes\n");
    expect(message).toContain(file);
    expect(message).toContain("defaults.window");
    expect(message).toMatch(/30s|5m/);
  });

  it("a zero-length window is rejected (it would divide every event time by zero)", () => {
    const message = parseError("defaults:\n  window: 0m\n");
    expect(message).toContain("defaults.window");
  });

  it("an unknown key is rejected rather than silently ignored (typo protection)", () => {
    const message = parseError("models:\n  fraud:\n    ksPvalue: 0.01\n");
    expect(message).toContain(file);
    expect(message).toContain("models.fraud");
    expect(message).toContain("ksPvalue");
  });

  it("a feature threshold that is not a positive number names the feature", () => {
    const message = parseError("models:\n  fraud:\n    featureThresholds:\n      income: -1\n");
    expect(message).toContain("models.fraud.featureThresholds.income");
  });

  it("a YAML syntax error still names the file", () => {
    const message = parseError("models:\n  fraud: [unclosed\n");
    expect(message).toContain(file);
  });

  it("a top level that is not a mapping names the file", () => {
    const message = parseError("- just\n- a list\n");
    expect(message).toContain(file);
  });
});
