import { durationMs } from "@argus/runtime/duration";
import { parse } from "yaml";
import { z } from "zod";

/** How drift is judged for one model; every field has an Evidently-style default. */
export interface DriftModelConfig {
  windowMs: number;
  allowedLatenessMs: number;
  /** Share of drifted features at or above which the whole dataset counts as drifted. */
  datasetDriftShare: number;
  /** Reference size at or below which numeric features use KS and categorical ones chi-square. */
  smallReferenceRows: number;
  ksPValue: number;
  wassersteinThreshold: number;
  chiSquarePValue: number;
  jensenShannonThreshold: number;
  /** A window with fewer events gets INSUFFICIENT_DATA instead of a verdict. */
  minWindowEvents: number;
  /** Absolute rise of a missing-value or out-of-range rate over the baseline's that counts as drift. */
  rateIncreaseThreshold: number;
  /** Per-feature overrides of the drift threshold of whichever test applies. */
  featureThresholds: Record<string, number>;
  /** Principal components kept for the multivariate check (0 turns it off). */
  pcaComponents: number;
}

export const defaultDriftConfig: DriftModelConfig = {
  windowMs: 5 * 60_000,
  allowedLatenessMs: 60_000,
  datasetDriftShare: 0.5,
  smallReferenceRows: 1000,
  ksPValue: 0.05,
  wassersteinThreshold: 0.1,
  chiSquarePValue: 0.05,
  jensenShannonThreshold: 0.1,
  minWindowEvents: 30,
  rateIncreaseThreshold: 0.05,
  featureThresholds: {},
  pcaComponents: 3,
};

/** A duration in ms: a number of ms or a duration string like 500ms, 5m, 1h30m or 1d. */
const duration = (positive: boolean) => durationMs({ positive, numbers: true });

const modelSchema = z
  .object({
    window: duration(true).optional(),
    allowedLateness: duration(false).optional(),
    datasetDriftShare: z.number().gt(0).lte(1).optional(),
    smallReferenceRows: z.number().int().min(0).optional(),
    ksPValue: z.number().gt(0).lt(1).optional(),
    wassersteinThreshold: z.number().positive().optional(),
    chiSquarePValue: z.number().gt(0).lt(1).optional(),
    jensenShannonThreshold: z.number().gt(0).lte(1).optional(),
    minWindowEvents: z.number().int().min(1).optional(),
    rateIncreaseThreshold: z.number().gt(0).lte(1).optional(),
    featureThresholds: z.record(z.string(), z.number().positive()).optional(),
    pcaComponents: z.number().int().min(0).max(50).optional(),
  })
  .strict();

const fileSchema = z
  .object({ defaults: modelSchema.optional(), models: z.record(z.string(), modelSchema).optional() })
  .strict();

export interface DriftConfigs {
  forModel(modelId: string): DriftModelConfig;
}

/** Parses the drift settings file; errors name the file and the exact field. */
export function parseDriftConfigs(text: string, source: string): DriftConfigs {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new Error(`invalid drift settings in ${source}: ${(error as Error).message}`);
  }
  const result = fileSchema.safeParse(document ?? {});
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${issue.path.join(".") || "(file)"}: ${issue.message}`,
    );
    throw new Error(`invalid drift settings in ${source}:\n${lines.join("\n")}`);
  }
  return driftConfigs(result.data.defaults ?? {}, result.data.models ?? {});
}

type Overrides = z.infer<typeof modelSchema>;

export function driftConfigs(defaults: Overrides = {}, models: Record<string, Overrides> = {}): DriftConfigs {
  const base = apply(defaultDriftConfig, defaults);
  const perModel = new Map(
    Object.entries(models).map(([model, overrides]) => [model, apply(base, overrides)]),
  );
  return { forModel: (modelId) => perModel.get(modelId) ?? base };
}

function apply(base: DriftModelConfig, overrides: Overrides): DriftModelConfig {
  const { window, allowedLateness, featureThresholds, ...rest } = overrides;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  return {
    ...base,
    ...defined,
    ...(window !== undefined ? { windowMs: window } : {}),
    ...(allowedLateness !== undefined ? { allowedLatenessMs: allowedLateness } : {}),
    featureThresholds: { ...base.featureThresholds, ...featureThresholds },
  };
}
