// The rules every pod of every documented rendering of deploy/k8s must follow: Kubernetes'
// "restricted" Pod Security Standard plus a read-only root filesystem, probes, resources; Argus'
// own probes on the endpoints that mean what Kubernetes asks; network and autoscaling rules.
import { describe, expect, it } from "vitest";
import { allRenderings, type K8sObject, renderOverlay, renderWithComponents } from "./render.js";
import {
  type Container,
  environmentOf,
  isArgusService,
  type PodSpec,
  type Probe,
  type Workload,
  workloadsOf,
} from "./workloads.js";

/** Volume types the restricted profile allows. */
const restrictedVolumeTypes = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/** What breaks the restricted profile (and our additions) in one pod; empty when it complies. */
function podSecurityViolations(workload: Workload): string[] {
  const { spec } = workload;
  const violations: string[] = [];
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) violations.push("shares a host namespace");
  if (pod.sysctls?.length) violations.push("sets sysctls");
  if (spec.automountServiceAccountToken !== false)
    violations.push("mounts a service account token (automountServiceAccountToken is not false)");
  for (const volume of spec.volumes ?? []) {
    const type = Object.keys(volume).find((key) => key !== "name");
    if (type === undefined || !restrictedVolumeTypes.has(type))
      violations.push(`volume ${volume.name} is of type ${type}`);
  }
  for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
    const own = container.securityContext ?? {};
    const at = `container ${container.name}`;
    if (own.privileged) violations.push(`${at} is privileged`);
    if (own.allowPrivilegeEscalation !== false) violations.push(`${at} may escalate privileges`);
    if (!(own.capabilities?.drop ?? []).includes("ALL"))
      violations.push(`${at} does not drop ALL capabilities`);
    // Restricted allows adding NET_BIND_SERVICE back; nothing of Argus binds below 1024.
    if ((own.capabilities?.add ?? []).length > 0) violations.push(`${at} adds capabilities`);
    if (own.readOnlyRootFilesystem !== true) violations.push(`${at} has a writable root filesystem`);
    if ((own.runAsNonRoot ?? pod.runAsNonRoot) !== true) violations.push(`${at} may run as root`);
    if ((own.runAsUser ?? pod.runAsUser) === 0) violations.push(`${at} runs as user 0`);
    const seccomp = (own.seccompProfile ?? pod.seccompProfile)?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
      violations.push(`${at} has seccomp profile ${seccomp ?? "unset"}`);
    if (container.ports?.some((port) => port.hostPort !== undefined))
      violations.push(`${at} uses a host port`);
  }
  return violations;
}

/** Probes and resources every long-running container needs; empty when it has them. */
function operabilityViolations(workload: Workload): string[] {
  const violations: string[] = [];
  for (const container of workload.spec.containers) {
    const at = `container ${container.name}`;
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"] as const)
      if (container[probe] === undefined) violations.push(`${at} has no ${probe}`);
    const { requests = {}, limits = {} } = container.resources ?? {};
    for (const resource of ["cpu", "memory"])
      if (!requests[resource]) violations.push(`${at} requests no ${resource}`);
    if (!limits.memory) violations.push(`${at} has no memory limit`);
  }
  return violations;
}

/** The container port a probe asks, by number, resolving a port name. */
function probePort(probe: Probe | undefined, container: Container): number | undefined {
  const port = probe?.httpGet?.port;
  if (typeof port === "number") return port;
  return container.ports?.find((candidate) => candidate.name === port)?.containerPort;
}

function httpProbe(probe: Probe | undefined, container: Container): string {
  return `${probe?.httpGet?.path ?? "(not HTTP)"} on ${probePort(probe, container) ?? "(no port)"}`;
}

/**
 * Argus' probes: started and ready when /readyz answers (the HTTP server starts last, and /readyz
 * checks Kafka, Redis and the consumers); alive while /healthz does (it fails only when a consumer
 * stopped for good). Liveness never asks /readyz: a Redis outage would restart every replica.
 */
function argusProbeViolations(workload: Workload, objects: readonly K8sObject[]): string[] {
  const violations: string[] = [];
  for (const container of workload.spec.containers) {
    const environment = environmentOf(container, objects);
    const httpPort = Number(environment.HTTP_PORT);
    const grpcPort = Number(environment.GRPC_PORT);
    const at = `container ${container.name}`;
    if (!Number.isInteger(httpPort) || !Number.isInteger(grpcPort))
      violations.push(`${at} does not set HTTP_PORT and GRPC_PORT`);
    const ports = new Map(container.ports?.map((port) => [port.name, port.containerPort]));
    if (ports.get("http") !== httpPort) violations.push(`${at}: port "http" is not HTTP_PORT ${httpPort}`);
    if (ports.get("grpc") !== grpcPort) violations.push(`${at}: port "grpc" is not GRPC_PORT ${grpcPort}`);
    const expected = {
      startupProbe: "/readyz",
      readinessProbe: "/readyz",
      livenessProbe: "/healthz",
    } as const;
    for (const [probe, path] of Object.entries(expected) as [keyof typeof expected, string][]) {
      const actual = httpProbe(container[probe], container);
      if (actual !== `${path} on ${httpPort}`)
        violations.push(`${at}: ${probe} asks ${actual}, not ${path} on ${httpPort}`);
    }
    // Past SHUTDOWN_TIMEOUT_MS the service gives up on a clean stop; Kubernetes must not kill it first.
    const shutdownSeconds = Number(environment.SHUTDOWN_TIMEOUT_MS ?? 25_000) / 1000;
    const grace = workload.spec.terminationGracePeriodSeconds ?? 30;
    if (grace <= shutdownSeconds)
      violations.push(
        `terminationGracePeriodSeconds ${grace} is not above SHUTDOWN_TIMEOUT_MS (${shutdownSeconds} s)`,
      );
  }
  return violations;
}

interface NetworkPolicyRule {
  ports?: { protocol?: string; port?: number | string }[];
  to?: unknown[];
  from?: unknown[];
}

interface NetworkPolicySpec {
  podSelector: { matchLabels?: Record<string, string> };
  policyTypes?: string[];
  ingress?: NetworkPolicyRule[];
  egress?: NetworkPolicyRule[];
}

function policiesSelecting(workload: Workload, objects: readonly K8sObject[]): NetworkPolicySpec[] {
  return objects
    .filter((object) => object.kind === "NetworkPolicy")
    .map((object) => object.spec as NetworkPolicySpec)
    .filter((spec) =>
      Object.entries(spec.podSelector.matchLabels ?? {}).every(
        ([key, value]) => workload.labels[key] === value,
      ),
    );
}

/** Ingress to an Argus pod only on its gRPC and metrics ports; egress only to DNS, Kafka, Redis and (alerter) HTTPS receivers. */
function networkViolations(workload: Workload, objects: readonly K8sObject[]): string[] {
  const violations: string[] = [];
  const policies = policiesSelecting(workload, objects);
  const denies = (type: string) =>
    policies.some(
      (policy) =>
        policy.policyTypes?.includes(type) &&
        (policy[type === "Ingress" ? "ingress" : "egress"] ?? []).length === 0,
    );
  if (!denies("Ingress") || !denies("Egress")) violations.push("no default-deny policy selects it");
  const container = workload.spec.containers[0] as Container;
  const named = new Map(container.ports?.map((port) => [port.name, port.containerPort]));
  const grpcAndHttp = new Set([named.get("grpc"), named.get("http")]);
  const egressPorts = new Set([53, 9092, 9093, 6379, 6380]);
  if (workload.labels["app.kubernetes.io/name"] === "alerter") egressPorts.add(443);
  for (const policy of policies) {
    for (const rule of policy.ingress ?? []) {
      if (!rule.ports?.length) violations.push("an ingress rule allows every port");
      for (const { port } of rule.ports ?? []) {
        const number = typeof port === "string" ? named.get(port) : port;
        if (!grpcAndHttp.has(number)) violations.push(`ingress is allowed on port ${port}`);
      }
    }
    for (const rule of policy.egress ?? []) {
      if (!rule.ports?.length) violations.push("an egress rule allows every port");
      for (const { port } of rule.ports ?? [])
        if (typeof port !== "number" || !egressPorts.has(port))
          violations.push(`egress is allowed to port ${port}`);
    }
  }
  return violations;
}

interface Scaler {
  kind: string;
  target: string;
  min: number;
  max: number;
}

function scalersOf(objects: readonly K8sObject[]): Scaler[] {
  return objects.flatMap((object): Scaler[] => {
    if (object.kind === "ScaledObject") {
      const spec = object.spec as {
        scaleTargetRef: { name: string };
        minReplicaCount?: number;
        maxReplicaCount?: number;
      };
      return [
        {
          kind: "ScaledObject",
          target: spec.scaleTargetRef.name,
          min: spec.minReplicaCount ?? 0,
          max: spec.maxReplicaCount ?? 100,
        },
      ];
    }
    if (object.kind === "HorizontalPodAutoscaler") {
      const spec = object.spec as {
        scaleTargetRef: { name: string };
        minReplicas?: number;
        maxReplicas: number;
      };
      return [
        {
          kind: "HorizontalPodAutoscaler",
          target: spec.scaleTargetRef.name,
          min: spec.minReplicas ?? 1,
          max: spec.maxReplicas,
        },
      ];
    }
    return [];
  });
}

/**
 * One autoscaler per Deployment (two HPAs fight), never more replicas than partitions (the extra
 * consumers idle), never to zero (gRPC and the window closer run on every replica), and always a
 * replica above a PodDisruptionBudget's minAvailable (else no node can be drained).
 */
function scalingViolations(objects: readonly K8sObject[]): string[] {
  const violations: string[] = [];
  const scalers = scalersOf(objects);
  const deployments = objects.filter((object) => object.kind === "Deployment");
  const environment = objects.find(
    (object) => object.kind === "ConfigMap" && object.metadata.name.startsWith("argus-env"),
  )?.data as Record<string, string> | undefined;
  const partitions = Number(environment?.KAFKA_TOPIC_PARTITIONS);
  if (!(partitions > 0)) violations.push("argus-env sets no KAFKA_TOPIC_PARTITIONS");
  for (const scaler of scalers) {
    const at = `${scaler.kind} of ${scaler.target}`;
    if (!deployments.some((deployment) => deployment.metadata.name === scaler.target))
      violations.push(`${at}: no such Deployment`);
    if (scalers.filter((other) => other.target === scaler.target).length > 1)
      violations.push(`${at}: not the only autoscaler`);
    if (scaler.max > partitions)
      violations.push(`${at}: up to ${scaler.max} replicas for ${partitions} partitions`);
    if (scaler.min < 1) violations.push(`${at}: scales to zero`);
  }
  for (const budget of objects.filter((object) => object.kind === "PodDisruptionBudget")) {
    const minAvailable = (budget.spec as { minAvailable?: number }).minAvailable;
    if (minAvailable === undefined) continue;
    const deployment = deployments.find((candidate) => candidate.metadata.name === budget.metadata.name);
    const replicas = (deployment?.spec as { replicas?: number } | undefined)?.replicas ?? 1;
    const floor = Math.min(
      replicas,
      scalers.find((scaler) => scaler.target === budget.metadata.name)?.min ?? replicas,
    );
    if (floor <= minAvailable)
      violations.push(
        `${budget.metadata.name}: minAvailable ${minAvailable} with as few as ${floor} replicas`,
      );
  }
  return violations;
}

describe.each(allRenderings())("deploy/k8s rendered as $name", ({ objects }) => {
  const workloads = workloadsOf(objects);
  const argus = workloads.filter(isArgusService);

  it("runs the three Argus services, and nothing without a pod template check", () => {
    expect(argus.map((workload) => workload.owner).sort()).toEqual([
      "Deployment/argus-alerter",
      "Deployment/argus-anomaly-detector",
      "Deployment/argus-drift-detector",
    ]);
  });

  it("puts everything in a namespace that enforces the restricted Pod Security Standard", () => {
    const namespaces = objects.filter((object) => object.kind === "Namespace");
    expect(namespaces).toHaveLength(1);
    const namespace = namespaces[0] as K8sObject;
    expect(namespace.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const elsewhere = objects.filter(
      (object) => object.kind !== "Namespace" && object.metadata.namespace !== namespace.metadata.name,
    );
    expect(elsewhere.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([]);
  });

  it.each(workloads.map((workload) => [workload.owner, workload] as const))(
    "%s complies with the restricted profile, with a read-only root, probes and resources",
    (_owner, workload) => {
      expect([...podSecurityViolations(workload), ...operabilityViolations(workload)]).toEqual([]);
    },
  );

  it.each(argus.map((workload) => [workload.owner, workload] as const))(
    "%s is probed on /readyz (startup, readiness) and /healthz (liveness) of HTTP_PORT",
    (_owner, workload) => {
      expect(argusProbeViolations(workload, objects)).toEqual([]);
    },
  );

  it.each(argus.map((workload) => [workload.owner, workload] as const))(
    "%s is reachable only on gRPC and metrics, and reaches only DNS, Kafka, Redis and receivers",
    (_owner, workload) => {
      expect(networkViolations(workload, objects)).toEqual([]);
    },
  );

  it("scales each Deployment with at most one autoscaler, within the topics' partitions, never below what the disruption budget keeps", () => {
    expect(scalingViolations(objects)).toEqual([]);
  });
});

describe("the policy checks", () => {
  const { objects } = renderOverlay("dev");
  const alerter = workloadsOf(objects).find((workload) => workload.owner === "Deployment/argus-alerter");
  if (alerter === undefined) throw new Error("the dev overlay renders no alerter");
  const altered = (change: (spec: PodSpec, container: Container) => void): Workload => {
    const copy = structuredClone(alerter);
    change(copy.spec, copy.spec.containers[0] as Container);
    return copy;
  };

  it("name what breaks the restricted profile", () => {
    expect(podSecurityViolations(alerter)).toEqual([]);
    const root = altered((spec, container) => {
      container.securityContext = { ...container.securityContext, runAsNonRoot: undefined, runAsUser: 0 };
      spec.securityContext = { ...spec.securityContext, runAsNonRoot: undefined };
    });
    expect(podSecurityViolations(root)).toEqual([
      "container alerter may run as root",
      "container alerter runs as user 0",
    ]);
    const writable = altered((spec, container) => {
      container.securityContext = {
        ...container.securityContext,
        readOnlyRootFilesystem: false,
        capabilities: { drop: [] },
      };
      spec.volumes = [...(spec.volumes ?? []), { name: "host", hostPath: { path: "/" } }];
    });
    expect(podSecurityViolations(writable)).toEqual([
      "volume host is of type hostPath",
      "container alerter does not drop ALL capabilities",
      "container alerter has a writable root filesystem",
    ]);
  });

  it("name a missing probe or a liveness probe on /readyz", () => {
    const unprobed = altered((_spec, container) => {
      delete container.startupProbe;
    });
    expect(operabilityViolations(unprobed)).toEqual(["container alerter has no startupProbe"]);
    const livenessOnReadyz = altered((_spec, container) => {
      if (container.livenessProbe?.httpGet) container.livenessProbe.httpGet.path = "/readyz";
    });
    expect(argusProbeViolations(livenessOnReadyz, objects)).toEqual([
      "container alerter: livenessProbe asks /readyz on 9464, not /healthz on 9464",
    ]);
  });

  it("name ingress or egress beyond gRPC, metrics, DNS, Kafka, Redis and receivers", () => {
    expect(networkViolations(alerter, objects)).toEqual([]);
    const open = structuredClone(objects);
    const ingress = open.find((object) => object.metadata.name === "argus-allow-grpc-and-metrics");
    const kafka = open.find((object) => object.metadata.name === "argus-allow-kafka");
    if (ingress === undefined || kafka === undefined) throw new Error("policies not rendered");
    (ingress.spec as NetworkPolicySpec).ingress?.push({ from: [] });
    (kafka.spec as NetworkPolicySpec).egress?.push({ ports: [{ port: 5432 }] });
    expect(networkViolations(alerter, open)).toEqual([
      "an ingress rule allows every port",
      "egress is allowed to port 5432",
    ]);
  });

  it("name a second autoscaler, more replicas than partitions, and a budget that blocks drains", () => {
    const scaled = renderWithComponents("dev", "argus-dev", ["hpa-fallback"]).objects;
    expect(scalingViolations(scaled)).toEqual([]);
    const broken = structuredClone(scaled);
    const hpa = broken.find((object) => object.kind === "HorizontalPodAutoscaler");
    const budget = broken.find((object) => object.kind === "PodDisruptionBudget");
    if (hpa === undefined || budget === undefined) throw new Error("no autoscaler or budget rendered");
    (hpa.spec as { maxReplicas: number }).maxReplicas = 7;
    broken.push({ ...hpa, metadata: { ...hpa.metadata, name: "second" } });
    budget.spec = { minAvailable: 1, selector: {} };
    expect(scalingViolations(broken)).toEqual([
      "HorizontalPodAutoscaler of argus-alerter: not the only autoscaler",
      "HorizontalPodAutoscaler of argus-alerter: up to 7 replicas for 6 partitions",
      "HorizontalPodAutoscaler of argus-alerter: not the only autoscaler",
      "HorizontalPodAutoscaler of argus-alerter: up to 7 replicas for 6 partitions",
      "argus-alerter: minAvailable 1 with as few as 1 replicas",
    ]);
  });
});
