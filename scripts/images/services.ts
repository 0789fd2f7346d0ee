import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** What the build puts in dist/ for the Dockerfile to copy (deploy/docker/Dockerfile). */
export const distDir = `${repoRoot}dist`;

export interface ServiceImage {
  name: string;
  /** The ports the service listens on by default (its config defaults, as deploy/k8s sets them). */
  grpcPort: number;
  httpPort: number;
}

export const serviceImages: readonly ServiceImage[] = [
  { name: "alerter", grpcPort: 50051, httpPort: 9464 },
  { name: "drift-detector", grpcPort: 50052, httpPort: 9465 },
  { name: "anomaly-detector", grpcPort: 50053, httpPort: 9466 },
];

/** `argus/<service>:<tag>`, the names deploy/k8s expects (podman stores them under localhost/). */
export function imageName(service: string, tag: string): string {
  return `argus/${service}:${tag}`;
}

export const defaultImageTag = process.env.ARGUS_IMAGE_TAG ?? "dev";

/** The image's size budget (the target). */
export const imageSizeBudgetBytes = 200 * 1000 * 1000;
