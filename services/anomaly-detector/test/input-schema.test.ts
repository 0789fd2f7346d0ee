import { describe, expect, it } from "vitest";
import { InputSchemaError, parseInputSchemas } from "../src/domain/index.js";
import { exampleSchemas } from "./fixtures.js";

/** The error thrown for `text`, failing the test when nothing is thrown. */
function errorOf(text: string, source = "models.yaml"): InputSchemaError {
  try {
    parseInputSchemas(text, source);
  } catch (error) {
    if (error instanceof InputSchemaError) return error;
    throw error;
  }
  throw new Error("expected parseInputSchemas to throw");
}

/** A credit-risk schema whose `age` feature is the given YAML block (indented under `age:`). */
function withAge(ageBlock: string): string {
  return `models:\n  credit-risk:\n    features:\n      age:\n${ageBlock.replace(/^/gm, "        ")}\n`;
}

describe("parseInputSchemas: the example file", () => {
  const schemas = exampleSchemas();
  const model = schemas.models.get("credit-risk");

  it("declares credit-risk with its five features in file order", () => {
    expect([...schemas.models.keys()]).toEqual(["credit-risk"]);
    expect(model?.modelId).toBe("credit-risk");
    expect([...(model?.features.keys() ?? [])]).toEqual([
      "age",
      "income",
      "debt_ratio",
      "employment",
      "notes",
    ]);
    expect(model?.allowUnknownFeatures).toBe(false);
    expect(schemas.source).toBe("config/models.example.yaml");
  });

  it("reads bounds, allowed values, text limit and optionality", () => {
    expect(model?.features.get("age")).toEqual({ type: "number", min: 18, max: 120, required: true });
    expect(model?.features.get("income")).toEqual({ type: "number", min: 0, required: true });
    expect(model?.features.get("debt_ratio")).toEqual({ type: "number", min: 0, max: 5, required: true });
    const employment = model?.features.get("employment");
    expect(employment?.type === "category" && [...employment.allowed]).toEqual([
      "employed",
      "self_employed",
      "unemployed",
      "retired",
    ]);
    expect(model?.features.get("notes")).toEqual({ type: "text", maxLength: 500, required: false });
  });
});

describe("parseInputSchemas: defaults", () => {
  it("makes features required and unknown features forbidden unless said otherwise", () => {
    const schemas = parseInputSchemas(
      "models:\n  m:\n    features:\n      v: {type: embedding, dimensions: 3}\n  open:\n    features:\n      x: {type: number}\n    allowUnknownFeatures: true\n",
      "x.yaml",
    );
    expect(schemas.models.get("m")?.features.get("v")).toEqual({
      type: "embedding",
      dimensions: 3,
      required: true,
    });
    expect(schemas.models.get("m")?.allowUnknownFeatures).toBe(false);
    expect(schemas.models.get("open")?.allowUnknownFeatures).toBe(true);
  });

  it("accepts a file that declares no model, and keeps unusual but printable names", () => {
    expect(parseInputSchemas("models: {}\n", "empty.yaml").models.size).toBe(0);
    const schemas = parseInputSchemas(
      "models:\n  fraud.v2:\n    features:\n      'monthly income': {type: number}\n",
      "a",
    );
    expect(schemas.models.get("fraud.v2")?.features.has("monthly income")).toBe(true);
  });
});

describe("parseInputSchemas: errors name the file and the field", () => {
  const cases: Array<[string, string, string]> = [
    [
      "min is not a number",
      withAge('type: number\nmin: "18"'),
      'models.credit-risk.features.age.min: expected number, got string "18"',
    ],
    [
      "max is a list",
      withAge("type: number\nmax: [1]"),
      "models.credit-risk.features.age.max: expected number, got a list",
    ],
    [
      "min > max",
      withAge("type: number\nmin: 120\nmax: 18"),
      "models.credit-risk.features.age.max: must be greater than or equal to min",
    ],
    [
      "min is .inf",
      withAge("type: number\nmin: .inf"),
      "models.credit-risk.features.age.min: expected number, got Infinity",
    ],
    [
      "max is .nan",
      withAge("type: number\nmax: .nan"),
      "models.credit-risk.features.age.max: expected number, got NaN",
    ],
    [
      "unknown type",
      withAge("type: integer"),
      'models.credit-risk.features.age.type: got string "integer", expected one of "number", "category", "text", "embedding"',
    ],
    ["no type", withAge("min: 1"), "models.credit-risk.features.age.type: missing, expected one of"],
    [
      "empty allowed",
      withAge("type: category\nallowed: []"),
      "models.credit-risk.features.age.allowed: must list at least one value",
    ],
    [
      "no allowed",
      withAge("type: category"),
      "models.credit-risk.features.age.allowed: missing, expected a list",
    ],
    [
      "duplicate allowed",
      withAge("type: category\nallowed: [a, b, a]"),
      'models.credit-risk.features.age.allowed[2]: duplicate value "a"',
    ],
    [
      "empty category value",
      withAge("type: category\nallowed: [a, '']"),
      "models.credit-risk.features.age.allowed[1]: must not be empty",
    ],
    [
      "no maxLength",
      withAge("type: text"),
      "models.credit-risk.features.age.maxLength: missing, expected number",
    ],
    [
      "maxLength 0",
      withAge("type: text\nmaxLength: 0"),
      "models.credit-risk.features.age.maxLength: must be at least 1",
    ],
    [
      "maxLength 2.5",
      withAge("type: text\nmaxLength: 2.5"),
      "models.credit-risk.features.age.maxLength: expected an integer, got number 2.5",
    ],
    [
      "dimensions 0",
      withAge("type: embedding\ndimensions: 0"),
      "models.credit-risk.features.age.dimensions: must be at least 1",
    ],
    [
      "required: yes",
      withAge("type: number\nrequired: yes"),
      'models.credit-risk.features.age.required: expected boolean (true or false), got string "yes"',
    ],
    [
      "misspelt field",
      withAge("type: text\nmaxLenght: 5\nmaxLength: 5"),
      "models.credit-risk.features.age.maxLenght: unknown field",
    ],
    [
      "min on a category",
      withAge("type: category\nallowed: [a]\nmin: 1"),
      "models.credit-risk.features.age.min: unknown field",
    ],
    ["no models key", "model:\n  m: {}\n", "models: missing, expected a mapping"],
    ["top-level typo", "models: {}\nmodel: {}\n", "model: unknown field"],
    ["models is null", "models:\n", "models: expected a mapping, got null"],
    ["empty file", "", "models: missing, expected a mapping"],
    [
      "no features",
      "models:\n  m:\n    allowUnknownFeatures: true\n",
      "models.m.features: missing, expected a mapping",
    ],
    [
      "empty features",
      "models:\n  m:\n    features: {}\n",
      "models.m.features: must declare at least one feature",
    ],
    [
      "allowUnknownFeatures: 1",
      "models:\n  m:\n    features: {x: {type: number}}\n    allowUnknownFeatures: 1\n",
      "models.m.allowUnknownFeatures: expected boolean (true or false), got number 1",
    ],
    [
      "dotted model id",
      "models:\n  fraud.v2:\n    features: {x: {type: number, min: a}}\n",
      'models["fraud.v2"].features.x.min: expected number, got string "a"',
    ],
    [
      "feature name with a newline",
      'models:\n  m:\n    features:\n      "a\\nb": {type: number}\n',
      'models.m.features["a\\nb"]: invalid name: must be 1-128 characters',
    ],
    [
      "__proto__ feature",
      "models:\n  m:\n    features:\n      __proto__: {type: number}\n",
      "models.m.features.__proto__: reserved name",
    ],
    ["a scalar file", "just text\n", '(top level): expected a mapping, got string "just text"'],
  ];

  it.each(cases)("%s", (_name, yaml, expected) => {
    const error = errorOf(yaml, "deploy/models.yaml");
    expect(error.message).toContain("deploy/models.yaml");
    expect(error.message).toContain(expected);
  });

  it("reports every wrong field at once, with its path", () => {
    const error = errorOf(
      "models:\n  credit-risk:\n    features:\n      age: {type: number, min: x}\n      notes: {type: text, maxLength: -1}\n",
    );
    expect(error.issues.map((issue) => issue.path)).toEqual([
      "models.credit-risk.features.age.min",
      "models.credit-risk.features.notes.maxLength",
    ]);
    expect(error.source).toBe("models.yaml");
    expect(error.name).toBe("InputSchemaError");
  });

  it("reports YAML syntax errors with their line", () => {
    const error = errorOf("models:\n  m:\n    features: [1\n", "bad.yaml");
    expect(error.message).toContain("bad.yaml");
    expect(error.issues[0]?.path).toMatch(/^line \d+, column \d+$/);
    expect(error.issues[0]?.message).toMatch(/^YAML syntax: /);
  });

  it("refuses a file whose aliases expand without bound", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++)
      levels.push(
        `${"abcdefgh"[i]}: &${"abcdefgh"[i]} [${Array(10)
          .fill(`*${"abcdefgh"[i - 1]}`)
          .join(", ")}]`,
      );
    const error = errorOf(`${levels.join("\n")}\nmodels: {}\n`, "bomb.yaml");
    expect(error.message).toContain("bomb.yaml");
    expect(error.issues[0]?.path).toBe("(yaml)");
  });

  it("rejects a model declared twice instead of keeping the last one", () => {
    const twice =
      "models:\n  m:\n    features: {x: {type: number}}\n  m:\n    features: {y: {type: number}}\n";
    const error = errorOf(twice, "dup.yaml");
    expect(error.issues[0]?.path).toBe("line 4, column 3");
    expect(error.message).toContain("unique");
  });
});
