// Every object of every documented rendering of deploy/k8s validates against the JSON schema of its
// kind: Kubernetes' own OpenAPI schemas (kubernetes-models) and the CRDs' schemas of KEDA and the
// Prometheus Operator. An object of a kind without a schema here fails: add its model.
import { ScaledObject, TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import {
  PrometheusRule,
  ServiceMonitor,
} from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { allRenderings, type K8sObject, renderOverlay } from "./render.js";

interface Model {
  apiVersion: string;
  kind: string;
  new (data: never): { validate(): void };
}

/** The current (non-deprecated) API version of each kind Argus deploys. */
const models: Model[] = [
  Namespace,
  ConfigMap,
  Secret,
  Service,
  ServiceAccount,
  Deployment,
  PodDisruptionBudget,
  NetworkPolicy,
  HorizontalPodAutoscaler,
  ScaledObject,
  TriggerAuthentication,
  ServiceMonitor,
  PrometheusRule,
] as unknown as Model[];

function modelOf(object: K8sObject): Model | undefined {
  return models.find((model) => model.apiVersion === object.apiVersion && model.kind === object.kind);
}

/**
 * Kustomize wraps long base64 values of Secrets over lines, which the API server decodes (Go's
 * base64 skips line breaks) but the schema's "byte" format does not accept.
 */
function unwrapSecretData(object: K8sObject): K8sObject {
  if (object.kind !== "Secret" || object.data === undefined) return object;
  const data = Object.entries(object.data as Record<string, string>).map(([key, value]) => [
    key,
    value.replace(/[\r\n]/g, ""),
  ]);
  return { ...object, data: Object.fromEntries(data) };
}

/** The schema's complaint about `object`, or undefined when it validates. */
function schemaErrors(object: K8sObject): string | undefined {
  const Model = modelOf(object);
  if (Model === undefined) return `no schema for ${object.apiVersion} ${object.kind}`;
  try {
    new Model(structuredClone(unwrapSecretData(object)) as never).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe.each(allRenderings())("deploy/k8s rendered as $name", ({ objects }) => {
  it("renders the three services, each with its Service and PodDisruptionBudget", () => {
    for (const service of ["alerter", "drift-detector", "anomaly-detector"])
      for (const kind of ["Deployment", "Service", "PodDisruptionBudget", "ServiceAccount"])
        expect(
          objects.some((object) => object.kind === kind && object.metadata.name === `argus-${service}`),
          `${kind} argus-${service}`,
        ).toBe(true);
  });

  it("validates every object against its kind's schema", () => {
    const invalid = objects.flatMap((object) => {
      const errors = schemaErrors(object);
      return errors === undefined ? [] : [`${object.kind}/${object.metadata.name}: ${errors}`];
    });
    expect(invalid).toEqual([]);
  });
});

describe("the schema check", () => {
  it("refuses an object that breaks its schema, and a kind it has no schema for", () => {
    const deployment = structuredClone(
      renderOverlay("dev").objects.find((object) => object.kind === "Deployment"),
    );
    if (deployment === undefined) throw new Error("no Deployment rendered");
    const spec = deployment.spec as {
      template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } };
    };
    const port = spec.template.spec.containers[0]?.ports[0];
    if (port === undefined) throw new Error("the Deployment's container has no port");
    port.containerPort = "http";
    expect(schemaErrors(deployment)).toMatch(/containerPort must be integer/);
    expect(schemaErrors({ ...deployment, apiVersion: "extensions/v1beta1" })).toMatch(/no schema for/);
  });
});
