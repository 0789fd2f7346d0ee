import { FindingKind } from "@argus/proto";
import { baseConfigShape, evidenceConfigShape } from "@argus/runtime";
import { z } from "zod";
import type { ClientPolicy } from "./domain/client-state.js";
import type { DetectPolicies } from "./domain/detect-batch.js";
import type { ModelSchemas } from "./domain/input-schema.js";
import type { ProfilePolicy } from "./domain/model-profile.js";
import { POISONING_POLICY_DEFAULTS, type PoisoningPolicy } from "./domain/poisoning.js";
import { DEFAULT_POPULATION_POLICY, type PopulationPolicy } from "./domain/population/index.js";
import { DEFAULT_RELATIVE_RATE_POLICY } from "./domain/rate.js";
import { scanEventTexts } from "./domain/text-findings.js";

/** The salt without ANOMALY_FINGERPRINT_SALT (development only: the service warns at start). */
export const developmentSalt = "argus-development-salt-not-secret";

import type { ResourcePolicy } from "./domain/resources.js";

const ms = z.coerce.number().int().positive();

export const anomalyConfigSchema = z.object({
  ...baseConfigShape,
  ...evidenceConfigShape,
  GRPC_PORT: baseConfigShape.GRPC_PORT.default(50053),
  HTTP_PORT: baseConfigShape.HTTP_PORT.default(9466),
  ANOMALY_CONSUMER_GROUP: z.string().min(1).default("argus-anomaly"),
  /** YAML file declaring each model's input schema (see config/models.example.yaml). */
  ANOMALY_INPUT_SCHEMAS_FILE: z.string().min(1, "must name the input schema YAML file"),
  /** A client's state (risk, reasons and evidence, query fingerprints) is forgotten after this much silence. */
  ANOMALY_CLIENT_TTL_MS: ms.default(24 * 3_600_000),
  /** A client's recent rate is its requests over this window (6 buckets); a burst shows within it. */
  ANOMALY_RATE_WINDOW_MS: ms.min(6_000).default(30_000),
  /** A client's recent rate above this many times the model's median client rate (and above its own usual rate times ANOMALY_RATE_SELF_FACTOR) is abuse. */
  ANOMALY_RATE_MEDIAN_FACTOR: z.coerce.number().gt(1).default(8),
  ANOMALY_RATE_SELF_FACTOR: z.coerce.number().gt(1).default(5),
  /** Nobody is rate-abusive below this (requests per minute), whatever the population. */
  ANOMALY_RATE_FLOOR_PER_MIN: z.coerce.number().positive().default(6),
  /** Everybody above this (requests per minute) is rate-abusive, whatever the population. */
  ANOMALY_RATE_CAP_PER_MIN: z.coerce.number().positive().default(6_000),
  /** The limit (requests per minute) while a model has too few clients to judge against. */
  ANOMALY_RATE_FALLBACK_PER_MIN: z.coerce.number().positive().default(600),
  ANOMALY_RISK_HALF_LIFE_MS: ms.default(3_600_000),
  ANOMALY_REALERT_MS: ms.default(10 * 60_000),
  ANOMALY_RESOURCE_Z: z.coerce.number().positive().default(6),
  ANOMALY_RESOURCE_MIN_RATIO: z.coerce.number().min(1).default(3),
  ANOMALY_RESOURCE_WARMUP: z.coerce.number().int().min(10).default(200),
  ANOMALY_RESOURCE_OUTLIERS_TO_ALARM: z.coerce.number().int().min(1).max(32).default(3),
  /** A prediction whose top class score reaches this is "confident" for the poisoning check. */
  ANOMALY_CONFIDENT_SCORE: z.coerce.number().gt(0).lte(1).default(0.9),
  /** How long a confident prediction (and a request's first label) waits for other labels. */
  ANOMALY_LABEL_TTL_MS: ms.default(7 * 24 * 3_600_000),
  /**
   * Events of a model (all partitions together) that fit its profile, then that calibrate its
   * outlier threshold; warm-up does not depend on how many partitions or replicas there are.
   */
  ANOMALY_OUTLIER_WARMUP: z.coerce.number().int().min(50).default(1_000),
  ANOMALY_OUTLIER_CALIBRATION: z.coerce.number().int().min(50).default(1_000),
  /** Share of benign events that the calibrated threshold flags. */
  ANOMALY_OUTLIER_FPR: z.coerce.number().gt(0).lt(0.5).default(0.001),
  /**
   * Quantile of a model's benign Mahalanobis scores above which a query counts as "out of
   * distribution" in a client's share (extraction by synthetic or random queries).
   */
  ANOMALY_OOD_QUANTILE: z.coerce.number().gt(0.5).lt(1).default(0.99),
  /**
   * Clients of a model (all partitions together) sampled before per-client signals are judged against
   * the model's population (PRADA δ, out-of-distribution and near-copy shares, rates); until then
   * conservative fixed values apply.
   */
  ANOMALY_POPULATION_MIN_CLIENTS: z.coerce.number().int().min(5).default(20),
  /**
   * Secret salt of the query fingerprints, the same on every replica. Without it a fixed
   * development salt is used and the service says so at start: set it in production.
   */
  ANOMALY_FINGERPRINT_SALT: z.string().min(16, "must be at least 16 characters").optional(),
  /**
   * The level test (a source bad from its start): its long-run disagreement rate against the other
   * sources', with at least this many labels, this z and this gap. Every label re-tests, so z is
   * high: at 4 an honest source a few points noisier than the rest was flagged in its first 150 labels.
   */
  ANOMALY_POISONING_MIN_LABELS: z.coerce.number().int().min(10).default(50),
  ANOMALY_POISONING_Z: z.coerce.number().positive().default(5),
  ANOMALY_POISONING_MIN_GAP: z.coerce.number().gt(0).lt(1).default(0.15),
  /**
   * The change test (a source that turns bad): −ln of the binomial tail bound of its recent
   * disagreement against its own history plus the other sources' rise (13.8 = 1e-6), a rise at least
   * this far above that, and this many labels of history before the change.
   */
  ANOMALY_POISONING_CHANGE_SURPRISE: z.coerce.number().positive().default(13.8),
  ANOMALY_POISONING_MIN_CHANGE_GAP: z.coerce.number().gt(0).lt(1).default(0.1),
  ANOMALY_POISONING_MIN_REFERENCE: z.coerce.number().int().min(50).default(200),
  /** A label source silent for this long is forgotten (its history and its alarm). */
  ANOMALY_POISONING_SOURCE_TTL_MS: ms.default(30 * 24 * 3_600_000),
});

export type AnomalyConfig = z.infer<typeof anomalyConfigSchema>;

/** How much one finding of a kind raises a client's risk (combined as 1 − Π(1 − w)). */
const riskWeights: Partial<Record<FindingKind, number>> = {
  [FindingKind.FINDING_KIND_EXTRACTION]: 0.6,
  [FindingKind.FINDING_KIND_ADVERSARIAL_PROBE]: 0.5,
  [FindingKind.FINDING_KIND_MEMBERSHIP_PROBE]: 0.5,
  [FindingKind.FINDING_KIND_PROMPT_INJECTION]: 0.4,
  [FindingKind.FINDING_KIND_DATA_LEAKAGE]: 0.3,
  [FindingKind.FINDING_KIND_RATE_ABUSE]: 0.3,
  [FindingKind.FINDING_KIND_RESOURCE_ABUSE]: 0.3,
  [FindingKind.FINDING_KIND_OUTLIER]: 0.1,
  [FindingKind.FINDING_KIND_INPUT_VIOLATION]: 0.05,
};

export function clientPolicyOf(config: AnomalyConfig): ClientPolicy {
  const recentBuckets = 6;
  return {
    rate: {
      ...DEFAULT_RELATIVE_RATE_POLICY,
      bucketMs: Math.ceil(config.ANOMALY_RATE_WINDOW_MS / recentBuckets),
      recentBuckets,
      kMedian: config.ANOMALY_RATE_MEDIAN_FACTOR,
      kSelf: config.ANOMALY_RATE_SELF_FACTOR,
      floorPerMin: config.ANOMALY_RATE_FLOOR_PER_MIN,
      capPerMin: config.ANOMALY_RATE_CAP_PER_MIN,
      fallbackLimitPerMin: config.ANOMALY_RATE_FALLBACK_PER_MIN,
    },
    risk: {
      halfLifeMs: config.ANOMALY_RISK_HALF_LIFE_MS,
      maxReasons: 8,
      weights: riskWeights,
      defaultWeight: 0.2,
    },
    resourceOutliersToAlarm: config.ANOMALY_RESOURCE_OUTLIERS_TO_ALARM,
    realertMs: config.ANOMALY_REALERT_MS,
  };
}

export function profilePolicyOf(config: AnomalyConfig): ProfilePolicy {
  return {
    warmupEvents: config.ANOMALY_OUTLIER_WARMUP,
    calibrationEvents: config.ANOMALY_OUTLIER_CALIBRATION,
    falsePositiveRate: config.ANOMALY_OUTLIER_FPR,
    oodQuantile: config.ANOMALY_OOD_QUANTILE,
    maxCategories: 50,
  };
}

export function poisoningPolicyOf(config: AnomalyConfig): PoisoningPolicy {
  return {
    ...POISONING_POLICY_DEFAULTS,
    minLabels: config.ANOMALY_POISONING_MIN_LABELS,
    zThreshold: config.ANOMALY_POISONING_Z,
    minRateGap: config.ANOMALY_POISONING_MIN_GAP,
    changeSurprise: config.ANOMALY_POISONING_CHANGE_SURPRISE,
    minChangeGap: config.ANOMALY_POISONING_MIN_CHANGE_GAP,
    minReference: config.ANOMALY_POISONING_MIN_REFERENCE,
    sourceTtlMs: config.ANOMALY_POISONING_SOURCE_TTL_MS,
  };
}

export function resourcePolicyOf(config: AnomalyConfig): ResourcePolicy {
  return {
    warmup: config.ANOMALY_RESOURCE_WARMUP,
    zThreshold: config.ANOMALY_RESOURCE_Z,
    minRatio: config.ANOMALY_RESOURCE_MIN_RATIO,
    tailQuantile: 0.999,
  };
}

export function populationPolicyOf(config: AnomalyConfig): PopulationPolicy {
  return {
    ...DEFAULT_POPULATION_POLICY,
    minClients: config.ANOMALY_POPULATION_MIN_CLIENTS,
    pradaMinClients: config.ANOMALY_POPULATION_MIN_CLIENTS,
  };
}

/** Every policy of the batch planner from the configuration (the service and offline replays share it). */
export function detectPoliciesOf(config: AnomalyConfig, schemas: ModelSchemas): DetectPolicies {
  return {
    schemas,
    client: clientPolicyOf(config),
    profile: profilePolicyOf(config),
    resources: resourcePolicyOf(config),
    population: populationPolicyOf(config),
    fingerprintSalt: config.ANOMALY_FINGERPRINT_SALT ?? developmentSalt,
    confidentScore: config.ANOMALY_CONFIDENT_SCORE,
    scanText: scanEventTexts,
  };
}
