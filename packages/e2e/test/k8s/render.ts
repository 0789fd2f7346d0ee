// Renders deploy/k8s with `kubectl kustomize` (offline; no cluster) for the manifest tests.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const k8sRoot = fileURLToPath(new URL("../../../../deploy/k8s/", import.meta.url));
export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

/** A rendered object: what `kubectl apply` would send, as plain data. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface Rendering {
  /** What was rendered, for test names: an overlay, or an overlay with components. */
  name: string;
  objects: K8sObject[];
}

const installHint =
  "the manifest tests render deploy/k8s with `kubectl kustomize` and need kubectl 1.27 or later " +
  "(its kustomize v5 knows components). Install it from the Kubernetes apt repository " +
  "(https://pkgs.k8s.io, package kubectl) or as a single binary (https://kubernetes.io/docs/tasks/tools/); " +
  "Debian 12's kubernetes-client (1.20) is too old.";

let checked = false;

/** Fails (never skips) when kubectl is missing or its kustomize is older than v5. */
function assertKubectl(): void {
  if (checked) return;
  let output: string;
  try {
    output = execFileSync("kubectl", ["version", "--client", "-o", "json"], { encoding: "utf8" });
  } catch (error) {
    throw new Error(`kubectl is not usable (${(error as Error).message.split("\n")[0]}): ${installHint}`);
  }
  const kustomize = (JSON.parse(output) as { kustomizeVersion?: string }).kustomizeVersion ?? "";
  const major = Number(/^v(\d+)\./.exec(kustomize)?.[1] ?? 0);
  if (major < 5)
    throw new Error(`kubectl's kustomize is ${kustomize || "unknown"}, not v5 or later: ${installHint}`);
  checked = true;
}

function kustomize(directory: string): K8sObject[] {
  assertKubectl();
  const text = execFileSync("kubectl", ["kustomize", directory], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw document.errors[0];
    return document.toJS() as K8sObject;
  });
}

/** One overlay of deploy/k8s/overlays as `kubectl kustomize` renders it. */
export function renderOverlay(overlay: string): Rendering {
  return { name: overlay, objects: kustomize(join(k8sRoot, "overlays", overlay)) };
}

/**
 * An overlay with components added, as docs/kubernetes.md tells operators to compose them (e.g.
 * the HPA fallback instead of KEDA), in the overlay's namespace. Kustomize takes only relative
 * paths, hence the temp folder's path back to the repository.
 */
export function renderWithComponents(
  overlay: string,
  namespace: string,
  components: readonly string[],
): Rendering {
  const folder = mkdtempSync(join(tmpdir(), "argus-k8s-"));
  try {
    const back = relative(folder, k8sRoot);
    const kustomization = [
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      `namespace: ${namespace}`,
      "resources:",
      `  - ${back}/overlays/${overlay}`,
      "components:",
      ...components.map((component) => `  - ${back}/components/${component}`),
      "",
    ].join("\n");
    writeFileSync(join(folder, "kustomization.yaml"), kustomization);
    return { name: `${overlay} + ${components.join(" + ")}`, objects: kustomize(folder) };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Every way of deploying Argus that the repository documents. */
export function allRenderings(): Rendering[] {
  return [
    renderOverlay("dev"),
    renderOverlay("production"),
    renderWithComponents("dev", "argus-dev", ["hpa-fallback"]),
    renderWithComponents("dev", "argus-dev", ["keda", "monitoring"]),
  ];
}
