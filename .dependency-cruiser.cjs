// The layering rules of docs/architecture.md that biome cannot express (biome.json's
// noRestrictedImports keeps domain/ pure), checked on every `pnpm lint`.
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
