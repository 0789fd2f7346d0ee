// The layering rule of docs/architecture.md, checked on every `pnpm lint`.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "An import cycle means two modules are one concept split in two, or one knows too much.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "domain-is-pure",
      comment:
        "domain/ decides and never does I/O: no adapters, no wiring, no runtime kit (only its pure " +
        "subpaths such as @argus/runtime/duration), no Kafka, Redis, gRPC, network, files, logging or tracing.",
      severity: "error",
      from: { path: "^services/[^/]+/src/domain/" },
      to: {
        path: [
          "^services/[^/]+/src/(adapters|use-cases)/",
          "^services/[^/]+/src/[^/]+\\.ts$",
          "^packages/(sdk|testkit|bench|demo|e2e|eval)/",
          "(^|node_modules/.*)(ioredis|kafkajs|@grpc|@opentelemetry|pino|prom-client)",
        ],
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "domain-uses-no-kit",
      comment: "The runtime kit is I/O; its pure subpaths (@argus/runtime/duration) are the exception.",
      severity: "error",
      from: { path: "^services/[^/]+/src/domain/" },
      to: { path: "^packages/runtime/src/", pathNot: "^packages/runtime/src/duration[.]ts$" },
    },
    {
      name: "domain-does-no-io",
      comment: "Node's I/O modules stay in adapters; hashing (node:crypto) and compression are pure.",
      severity: "error",
      from: { path: "^services/[^/]+/src/domain/" },
      to: {
        dependencyTypes: ["core"],
        path: "^(node:)?(fs|fs/promises|net|http|http2|https|tls|dgram|dns|child_process|cluster|worker_threads|process)$",
      },
    },
    {
      name: "services-are-apart",
      comment:
        "Services share contracts (packages/proto) and the kit (packages/runtime), never each other's code.",
      severity: "error",
      from: { path: "^services/([^/]+)/" },
      to: { path: "^services/([^/]+)/", pathNot: "^services/$1/" },
    },
    {
      name: "packages-below-services",
      comment: "Shared packages are used by services, never the other way round.",
      severity: "error",
      from: { path: "^packages/(proto|runtime|stats|sdk)/src/" },
      to: { path: "^services/" },
    },
    {
      name: "adapters-do-not-wire",
      comment: "Adapters translate; only the service's entry files build and wire them.",
      severity: "error",
      from: { path: "^services/[^/]+/src/adapters/" },
      to: { path: "^services/[^/]+/src/[^/]+\\.ts$", pathNot: "^services/[^/]+/src/config\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(gen|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
    combinedDependencies: true,
  },
};
