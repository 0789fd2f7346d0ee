import { baseConfigShape } from "@argus/runtime";
import { z } from "zod";

export const driftConfigSchema = z.object({
  ...baseConfigShape,
  GRPC_PORT: baseConfigShape.GRPC_PORT.default(50052),
  HTTP_PORT: baseConfigShape.HTTP_PORT.default(9465),
  DRIFT_CONSUMER_GROUP: z.string().min(1).default("argus-drift"),
});

export type DriftConfig = z.infer<typeof driftConfigSchema>;
