import { baseConfigShape } from "@argus/runtime";
import { z } from "zod";

export const driftConfigSchema = z.object({
  ...baseConfigShape,
  GRPC_PORT: baseConfigShape.GRPC_PORT.default(50052),
  HTTP_PORT: baseConfigShape.HTTP_PORT.default(9465),
  DRIFT_CONSUMER_GROUP: z.string().min(1).default("argus-drift"),
  /** YAML with per-model window size, lateness and thresholds; every model gets defaults without it. */
  DRIFT_MODELS_FILE: z.string().min(1).optional(),
  /** A partition that has not advanced for this long no longer holds the watermark back. */
  DRIFT_IDLE_PARTITION_MS: z.coerce.number().int().min(1_000).default(120_000),
  /** A replica evaluating a window holds it this long; if it dies, another takes over after it. */
  DRIFT_EVALUATION_LEASE_MS: z.coerce.number().int().min(1_000).default(15_000),
  DRIFT_EVALUATE_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  /** How long a prediction with a request id waits for its ground-truth label. */
  DRIFT_PREDICTION_TTL_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(24 * 3_600_000),
  /** How long window state and reports are kept. */
  DRIFT_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(14 * 24 * 3_600_000),
});

export type DriftConfig = z.infer<typeof driftConfigSchema>;
