import { baseConfigShape } from "@argus/runtime";
import { z } from "zod";

export const anomalyConfigSchema = z.object({
  ...baseConfigShape,
  GRPC_PORT: baseConfigShape.GRPC_PORT.default(50053),
  HTTP_PORT: baseConfigShape.HTTP_PORT.default(9466),
  ANOMALY_CONSUMER_GROUP: z.string().min(1).default("argus-anomaly"),
  /** YAML file declaring each model's input schema (see config/models.example.yaml). */
  ANOMALY_INPUT_SCHEMAS_FILE: z.string().min(1, "must name the input schema YAML file"),
});

export type AnomalyConfig = z.infer<typeof anomalyConfigSchema>;
