// What the manifests hand each service: an environment its own configuration schema accepts, with
// every secret a file from a mounted Secret, config files that are the maintained examples, and
// autoscalers that watch the consumer groups the services really join.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { alerterConfigSchema } from "@argus/alerter";
import { anomalyConfigSchema } from "@argus/anomaly-detector";
import { driftConfigSchema } from "@argus/drift-detector";
import { loadConfig } from "@argus/runtime";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { allRenderings, type K8sObject, k8sRoot, renderOverlay, repoRoot } from "./render.js";
import {
  type Container,
  environmentOf,
  type FileSource,
  fileSourceOf,
  find,
  isArgusService,
  type Workload,
  workloadsOf,
} from "./workloads.js";

const services = {
  alerter: { schema: alerterConfigSchema, group: "ALERTER_CONSUMER_GROUP" },
  "drift-detector": { schema: driftConfigSchema, group: "DRIFT_CONSUMER_GROUP" },
  "anomaly-detector": { schema: anomalyConfigSchema, group: "ANOMALY_CONSUMER_GROUP" },
} as const;
type ServiceName = keyof typeof services;

/** Variables whose value is a credential: given as X_FILE from a Secret, never as a value. */
const secretVariables = [
  "ARGUS_API_KEYS",
  "ARGUS_JWT_HS256_SECRET",
  "ARGUS_EVIDENCE_KEYS",
  "ANOMALY_FINGERPRINT_SALT",
  "ALERTER_WEBHOOK_SECRET",
  "ALERTER_WEBHOOK_URL",
  "KAFKA_SASL_PASSWORD",
];

function serviceOf(workload: Workload): ServiceName {
  const name = workload.labels["app.kubernetes.io/name"];
  if (name === undefined || !(name in services)) throw new Error(`${workload.owner} is no Argus service`);
  return name as ServiceName;
}

function containerOf(workload: Workload): Container {
  const container = workload.spec.containers[0];
  if (container === undefined) throw new Error(`${workload.owner} has no container`);
  return container;
}

/**
 * The content of a file as the pod would see it. Secrets of the production overlay are created
 * outside the manifests (docs/kubernetes.md), so their files read as a placeholder that says where
 * they come from; a ConfigMap or a rendered Secret must hold the key.
 */
function fileContent(source: FileSource, objects: readonly K8sObject[]): string {
  const object = find(objects, source.kind, source.name);
  if (object === undefined) {
    if (source.kind === "Secret") return `placeholder of Secret ${source.name}, key ${source.key}`;
    throw new Error(`ConfigMap ${source.name} is not rendered`);
  }
  const data = (object.data ?? {}) as Record<string, string>;
  const value = data[source.key];
  if (value === undefined) throw new Error(`${source.kind} ${source.name} has no key ${source.key}`);
  return source.kind === "Secret" ? Buffer.from(value, "base64").toString("utf8") : value;
}

/** Reads `path` in the workload's container; a path no volume holds fails like a missing file. */
function readerFor(workload: Workload, objects: readonly K8sObject[]) {
  return (path: string): string => {
    const source = fileSourceOf(path, containerOf(workload), workload.spec);
    if (source === undefined) throw Object.assign(new Error(`no volume holds ${path}`), { code: "ENOENT" });
    return fileContent(source, objects);
  };
}

/** The service's configuration as it would load it at start in that pod. */
function configOf(workload: Workload, objects: readonly K8sObject[]): Record<string, unknown> {
  const environment = environmentOf(containerOf(workload), objects);
  const { schema } = services[serviceOf(workload)];
  return loadConfig(schema, environment, readerFor(workload, objects)) as Record<string, unknown>;
}

describe.each(allRenderings())("deploy/k8s rendered as $name", ({ objects }) => {
  const argus = workloadsOf(objects).filter(isArgusService);

  it.each(argus.map((workload) => [workload.owner, workload] as const))(
    "%s gets a configuration its service accepts",
    (_owner, workload) => {
      expect(() => configOf(workload, objects)).not.toThrow();
    },
  );

  it.each(argus.map((workload) => [workload.owner, workload] as const))(
    "%s gets every secret as a file of a mounted Secret, never as a value",
    (_owner, workload) => {
      const container = containerOf(workload);
      const environment = environmentOf(container, objects);
      expect(container.env?.filter((variable) => variable.valueFrom?.secretKeyRef) ?? []).toEqual([]);
      expect(container.envFrom?.filter((source) => source.secretRef) ?? []).toEqual([]);
      expect(secretVariables.filter((name) => environment[name] !== undefined)).toEqual([]);
      // A password in REDIS_URL would be in a ConfigMap: REDIS_PASSWORD_FILE instead.
      expect(new URL(environment.REDIS_URL ?? "redis://unset").password).toBe("");
      const secretFiles = Object.entries(environment).filter(
        ([name]) => name.endsWith("_FILE") && secretVariables.includes(name.slice(0, -"_FILE".length)),
      );
      for (const [name, path] of secretFiles)
        expect(fileSourceOf(path, container, workload.spec)?.kind, `${name}=${path}`).toBe("Secret");
    },
  );

  it.each(argus.map((workload) => [workload.owner, workload] as const))(
    "%s has every file its variables name (X_FILE, config files, certificates) in a volume",
    (_owner, workload) => {
      const container = containerOf(workload);
      const files = Object.entries(environmentOf(container, objects)).filter(([name]) =>
        name.endsWith("_FILE"),
      );
      expect(files.length).toBeGreaterThan(0);
      for (const [name, path] of files) {
        const source = fileSourceOf(path, container, workload.spec);
        expect(source, `${name}=${path}`).toBeDefined();
        if (source !== undefined) expect(() => fileContent(source, objects), `${name}=${path}`).not.toThrow();
      }
    },
  );

  it("has the alerter's routing configuration find every receiver secret it names", () => {
    const alerter = argus.find((workload) => serviceOf(workload) === "alerter");
    if (alerter === undefined) throw new Error("no alerter rendered");
    const read = readerFor(alerter, objects);
    const config = configOf(alerter, objects);
    const routing: unknown = parse(read(String(config.ALERTER_CONFIG_FILE)));
    const namedFiles: string[] = [];
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (node !== null && typeof node === "object")
        for (const [key, value] of Object.entries(node)) {
          if (key.endsWith("_file") && typeof value === "string") namedFiles.push(value);
          else collect(value);
        }
    };
    collect(routing);
    expect(namedFiles.length).toBeGreaterThan(0);
    for (const path of namedFiles) expect(() => read(path), path).not.toThrow();
  });

  it("scales each service on the lag of the consumer groups it joins, on their topics", () => {
    const topics = {
      inference: "argus.inference.v1",
      feedback: "argus.feedback.v1",
      findings: "argus.findings.v1",
    };
    // Each service's groups (services/*/src/*.ts): the main group, and for the detectors `-feedback`.
    const expectedTriggers = (service: ServiceName, group: string): string[] =>
      service === "alerter"
        ? [`${group} ${topics.findings}`]
        : [`${group} ${topics.inference}`, `${group}-feedback ${topics.feedback}`];
    for (const scaled of objects.filter((object) => object.kind === "ScaledObject")) {
      const spec = scaled.spec as {
        scaleTargetRef: { name: string };
        triggers: { type: string; metadata: Record<string, string> }[];
      };
      const workload = argus.find(
        (candidate) => candidate.owner === `Deployment/${spec.scaleTargetRef.name}`,
      );
      if (workload === undefined) throw new Error(`${scaled.metadata.name} scales no Argus Deployment`);
      const service = serviceOf(workload);
      const config = configOf(workload, objects);
      const prefix = String(config.ARGUS_TOPIC_PREFIX);
      const triggers = spec.triggers.map(
        (trigger) => `${trigger.metadata.consumerGroup} ${trigger.metadata.topic}`,
      );
      expect(triggers).toEqual(
        expectedTriggers(service, `${prefix}${config[services[service].group]}`).map((pair) =>
          pair.replace(" ", ` ${prefix}`),
        ),
      );
      const environment = environmentOf(containerOf(workload), objects);
      for (const trigger of spec.triggers) {
        expect(trigger.type).toBe("kafka");
        expect(environment[trigger.metadata.bootstrapServersFromEnv ?? ""]).toBeDefined();
      }
    }
  });
});

describe("deploy/k8s/base/config", () => {
  it("holds the maintained examples, which the services' own tests keep valid", () => {
    const pairs = [
      ["base/config/alerter.yaml", "deploy/local/alerter.example.yaml"],
      ["base/config/models.yaml", "services/anomaly-detector/config/models.example.yaml"],
    ];
    for (const [copy, original] of pairs as [string, string][])
      expect(readFileSync(join(k8sRoot, copy), "utf8"), `${copy} differs from ${original}`).toBe(
        readFileSync(join(repoRoot, original), "utf8"),
      );
  });
});

describe("the configuration check", () => {
  const { objects } = renderOverlay("dev");
  const anomaly = workloadsOf(objects).find(
    (workload) => workload.owner === "Deployment/argus-anomaly-detector",
  );
  if (anomaly === undefined) throw new Error("no anomaly-detector rendered");

  it("reads the secrets from the rendered Secrets, and refuses a file no volume holds", () => {
    expect(configOf(anomaly, objects).ANOMALY_FINGERPRINT_SALT).toBe("argus-dev-fingerprint-salt");
    const moved = structuredClone(anomaly);
    const salt = containerOf(moved).env?.find(
      (variable) => variable.name === "ANOMALY_FINGERPRINT_SALT_FILE",
    );
    if (salt === undefined) throw new Error("no ANOMALY_FINGERPRINT_SALT_FILE");
    salt.value = "/etc/argus/elsewhere/fingerprint-salt";
    expect(() => configOf(moved, objects)).toThrow(/ANOMALY_FINGERPRINT_SALT_FILE: cannot read/);
  });
});
