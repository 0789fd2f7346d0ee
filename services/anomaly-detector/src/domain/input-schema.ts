// The declared input schema of each monitored model, read from a YAML file (see
// config/models.example.yaml) and validated with zod. Pure: the caller reads the file and passes its text.
import { parseDocument } from "yaml";
import { z } from "zod";

/** How one named input feature must look. `required` defaults to true in the file. */
export type FeatureSpec =
  | { readonly type: "number"; readonly required: boolean; readonly min?: number; readonly max?: number }
  | { readonly type: "category"; readonly required: boolean; readonly allowed: ReadonlySet<string> }
  | { readonly type: "text"; readonly required: boolean; readonly maxLength: number }
  | { readonly type: "embedding"; readonly required: boolean; readonly dimensions: number };

export type FeatureType = FeatureSpec["type"];

/** The declared inputs of one model. Features keep the order of the file. */
export interface ModelSchema {
  readonly modelId: string;
  readonly features: ReadonlyMap<string, FeatureSpec>;
  /** When false (the default), a feature the schema does not declare is a violation. */
  readonly allowUnknownFeatures: boolean;
}

/** Every model declared in one schema file. Models not listed here are not validated. */
export interface ModelSchemas {
  /** Where the schemas came from (file name), for logs and error messages. */
  readonly source: string;
  readonly models: ReadonlyMap<string, ModelSchema>;
}

/** One thing wrong in a schema file: the dotted path of the field and what is wrong with it. */
export interface SchemaIssue {
  readonly path: string;
  readonly message: string;
}

/** Thrown by `parseInputSchemas`; the message names the file and the path of every wrong field. */
export class InputSchemaError extends Error {
  override readonly name = "InputSchemaError";
  constructor(
    readonly source: string,
    readonly issues: readonly SchemaIssue[],
  ) {
    super(
      `invalid input schema file ${source}:\n${issues.map((issue) => `  ${issue.path}: ${issue.message}`).join("\n")}`,
    );
  }
}

// Names end up in finding labels, alert titles and Redis keys: printable, trimmed, bounded.
const NAME_PATTERN = /^[^\s\p{Cc}](?:[^\p{Cc}]{0,126}[^\s\p{Cc}])?$/u;
const NAME_RULE = "must be 1-128 characters, without control characters or surrounding spaces";
const name = z.string().regex(NAME_PATTERN, NAME_RULE);

const required = z.boolean().default(true);

const numberFeature = z
  .strictObject({
    type: z.literal("number"),
    min: z.number().optional(),
    max: z.number().optional(),
    required,
  })
  .refine((spec) => spec.min === undefined || spec.max === undefined || spec.min <= spec.max, {
    path: ["max"],
    message: "must be greater than or equal to min",
  });

const categoryFeature = z
  .strictObject({
    type: z.literal("category"),
    allowed: z.array(z.string().min(1, "must not be empty")).min(1, "must list at least one value"),
    required,
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.allowed.forEach((value, index) => {
      if (seen.has(value)) {
        ctx.addIssue({
          code: "custom",
          path: ["allowed", index],
          message: `duplicate value ${JSON.stringify(value)}`,
        });
      }
      seen.add(value);
    });
  });

const textFeature = z.strictObject({
  type: z.literal("text"),
  maxLength: z.number().int().min(1, "must be at least 1"),
  required,
});

const embeddingFeature = z.strictObject({
  type: z.literal("embedding"),
  dimensions: z.number().int().min(1, "must be at least 1"),
  required,
});

const featureSpec = z.discriminatedUnion("type", [
  numberFeature,
  categoryFeature,
  textFeature,
  embeddingFeature,
]);

const modelSpec = z.strictObject({
  features: z
    .record(name, featureSpec)
    .refine((features) => Object.keys(features).length > 0, "must declare at least one feature"),
  allowUnknownFeatures: z.boolean().default(false),
});

const schemaFile = z.strictObject({ models: z.record(name, modelSpec) });

/**
 * Parses and validates a schema file. `sourceName` (usually the file path) is only used in errors.
 * Throws an `InputSchemaError` naming the file and the path of each wrong field, e.g.
 * `models.credit-risk.features.age.min: expected number, got string "18"`.
 */
export function parseInputSchemas(text: string, sourceName: string): ModelSchemas {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new InputSchemaError(
      sourceName,
      doc.errors.map((error) => {
        const at = error.linePos?.[0];
        const message = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
        return {
          path: at ? `line ${at.line}, column ${at.col}` : "(yaml)",
          message: `YAML syntax: ${message}`,
        };
      }),
    );
  }
  let raw: unknown;
  try {
    // The alias limit stops a "billion laughs" file from expanding into gigabytes.
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new InputSchemaError(sourceName, [
      { path: "(yaml)", message: `YAML: ${(error as Error).message}` },
    ]);
  }

  // zod silently drops "__proto__" keys; report them instead of losing a declared model or feature.
  const reserved = findReservedKeys(raw, []);
  if (reserved.length > 0) {
    throw new InputSchemaError(
      sourceName,
      reserved.map((path) => ({ path: formatPath(path), message: "reserved name, not allowed" })),
    );
  }

  const result = schemaFile.safeParse(raw ?? {}, { reportInput: true });
  if (!result.success) {
    throw new InputSchemaError(sourceName, result.error.issues.flatMap(describeIssue));
  }

  const models = new Map<string, ModelSchema>();
  for (const [modelId, model] of Object.entries(result.data.models)) {
    const features = new Map<string, FeatureSpec>();
    for (const [featureName, spec] of Object.entries(model.features)) {
      features.set(
        featureName,
        spec.type === "category" ? { ...spec, allowed: new Set(spec.allowed) } : spec,
      );
    }
    models.set(modelId, { modelId, features, allowUnknownFeatures: model.allowUnknownFeatures });
  }
  return { source: sourceName, models };
}

/** The schema declared for `modelId`, or undefined when the model is not declared (not validated). */
export function schemaFor(schemas: ModelSchemas, modelId: string): ModelSchema | undefined {
  return schemas.models.get(modelId);
}

function findReservedKeys(value: unknown, path: PropertyKey[]): PropertyKey[][] {
  if (value === null || typeof value !== "object") return [];
  const found: PropertyKey[][] = [];
  for (const [key, child] of Object.entries(value)) {
    if (key === "__proto__") found.push([...path, key]);
    else found.push(...findReservedKeys(child, [...path, key]));
  }
  return found;
}

type Issue = z.core.$ZodIssue;

function describeIssue(issue: Issue): SchemaIssue[] {
  const path = issue.path;
  switch (issue.code) {
    case "invalid_type": {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      // zod reports a non-finite number (YAML .inf, .nan) with `received` set and the input dropped.
      const received = (issue as { received?: unknown }).received;
      if (typeof received === "string") {
        return [{ path: formatPath(path), message: `expected ${expected}, got ${received}` }];
      }
      if (issue.input === undefined)
        return [{ path: formatPath(path), message: `missing, expected ${expected}` }];
      return [{ path: formatPath(path), message: `expected ${expected}, got ${describeValue(issue.input)}` }];
    }
    case "invalid_union": {
      if ("discriminator" in issue && issue.discriminator !== undefined) {
        const options = ((issue as { options?: unknown[] }).options ?? []).map((o) => JSON.stringify(o));
        const input = issue.input as Record<string, unknown> | undefined;
        const given = input !== null && typeof input === "object" ? input[issue.discriminator] : undefined;
        const got = given === undefined ? "missing" : `got ${describeValue(given)}`;
        return [{ path: formatPath(path), message: `${got}, expected one of ${options.join(", ")}` }];
      }
      return [{ path: formatPath(path), message: issue.message }];
    }
    case "unrecognized_keys":
      return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: "unknown field" }));
    case "invalid_key": {
      const reason = issue.issues[0]?.message ?? "invalid name";
      return [{ path: formatPath(path), message: `invalid name: ${reason}` }];
    }
    default:
      return [{ path: formatPath(path), message: issue.message }];
  }
}

const TYPE_NAMES: Record<string, string> = {
  record: "a mapping",
  object: "a mapping",
  array: "a list",
  number: "number",
  int: "an integer",
  string: "string",
  boolean: "boolean (true or false)",
};

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `string ${JSON.stringify(shown)}`;
  }
  return `${typeof value} ${String(value)}`;
}

const SIMPLE_SEGMENT = /^[A-Za-z0-9_-]+$/;

/** `models.credit-risk.features.age.min`; unusual keys as `models["a.b"]`, list items as `allowed[2]`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const key = String(segment);
      if (SIMPLE_SEGMENT.test(key)) out += out === "" ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out === "" ? "(top level)" : out;
}
