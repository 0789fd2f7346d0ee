// The pods that rendered manifests would run, and what their containers see, for the manifest tests.
import type { K8sObject } from "./render.js";

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: unknown; configMapKeyRef?: unknown; fieldRef?: unknown };
}

export interface Probe {
  httpGet?: { path?: string; port: number | string };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
  grpc?: { port: number };
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type: string };
}

export interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number; hostPort?: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface Volume {
  name: string;
  configMap?: { name: string; items?: { key: string; path: string }[] };
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  projected?: {
    sources: {
      secret?: { name: string; items?: { key: string; path: string }[] };
      configMap?: { name: string; items?: { key: string; path: string }[] };
    }[];
  };
  [type: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  securityContext?: SecurityContext & { sysctls?: unknown[] };
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
}

/** A workload's pod template: who owns it, its labels and its spec. */
export interface Workload {
  owner: string;
  object: K8sObject;
  labels: Record<string, string>;
  spec: PodSpec;
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: PodSpec;
}

/** Every pod template in `objects` (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, Pods). */
export function workloadsOf(objects: readonly K8sObject[]): Workload[] {
  const workloads: Workload[] = [];
  for (const object of objects) {
    const spec = object.spec as { template?: PodTemplate; jobTemplate?: { spec: { template: PodTemplate } } };
    const template =
      object.kind === "Pod"
        ? ({ metadata: object.metadata, spec: object.spec } as PodTemplate)
        : object.kind === "CronJob"
          ? spec.jobTemplate?.spec.template
          : ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(object.kind)
            ? spec.template
            : undefined;
    if (template === undefined) continue;
    workloads.push({
      owner: `${object.kind}/${object.metadata.name}`,
      object,
      labels: template.metadata?.labels ?? {},
      spec: template.spec,
    });
  }
  return workloads;
}

/** Argus' own services (the base labels them part-of argus), not the development Kafka or Redis. */
export function isArgusService(workload: Workload): boolean {
  return workload.labels["app.kubernetes.io/part-of"] === "argus";
}

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name);
}

/**
 * The environment a container starts with: its ConfigMaps (envFrom) overridden by its own `env`.
 * Values from Secrets or the downward API are not known before the pod runs and are left out.
 */
export function environmentOf(container: Container, objects: readonly K8sObject[]): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef === undefined) continue;
    const configMap = find(objects, "ConfigMap", source.configMapRef.name);
    if (configMap === undefined)
      throw new Error(`${container.name}: ConfigMap ${source.configMapRef.name} is not rendered`);
    Object.assign(environment, configMap.data as Record<string, string>);
  }
  for (const variable of container.env ?? [])
    if (variable.value !== undefined) environment[variable.name] = variable.value;
  return environment;
}

/** Where a file in a container comes from: a key of a ConfigMap or a Secret. */
export interface FileSource {
  kind: "ConfigMap" | "Secret";
  name: string;
  key: string;
}

/** The ConfigMap or Secret key that `path` is in the container, or undefined when no volume holds it. */
export function fileSourceOf(path: string, container: Container, spec: PodSpec): FileSource | undefined {
  for (const mount of container.volumeMounts ?? []) {
    const prefix = mount.mountPath.endsWith("/") ? mount.mountPath : `${mount.mountPath}/`;
    if (!path.startsWith(prefix)) continue;
    const file = path.slice(prefix.length);
    const volume = spec.volumes?.find((candidate) => candidate.name === mount.name);
    if (volume === undefined) return undefined;
    const sources: { kind: FileSource["kind"]; name: string; items?: { key: string; path: string }[] }[] = [];
    if (volume.configMap) sources.push({ kind: "ConfigMap", ...volume.configMap });
    if (volume.secret)
      sources.push({ kind: "Secret", name: volume.secret.secretName, items: volume.secret.items });
    for (const source of volume.projected?.sources ?? []) {
      if (source.secret) sources.push({ kind: "Secret", ...source.secret });
      if (source.configMap) sources.push({ kind: "ConfigMap", ...source.configMap });
    }
    for (const source of sources) {
      // Without items every key of the object is a file of the same name.
      const key = source.items ? source.items.find((item) => item.path === file)?.key : file;
      if (key !== undefined && (source.items !== undefined || !file.includes("/")))
        return { kind: source.kind, name: source.name, key };
    }
  }
  return undefined;
}
