// Checks one inference event against its model's declared input schema. Pure and allocation-light:
// it runs on every event of the stream.
import type { FeatureValue, InferenceEvent } from "@argus/proto";
import { featureColumns } from "./event-features.js";
import type { FeatureSpec, ModelSchema } from "./input-schema.js";

export type ViolationRule =
  | "missing"
  | "type"
  | "not_finite"
  | "below_min"
  | "above_max"
  | "unknown_category"
  | "too_long"
  | "dimension"
  | "unknown_feature";

/**
 * One broken rule of one feature. `detail` is a short human phrase ("above max (observed 212 > 120)").
 * Neither field ever holds raw text input: text is reported by its length only, and category values
 * are cut to `MAX_OBSERVED_CATEGORY_CHARS` characters.
 */
export interface Violation {
  feature: string;
  rule: ViolationRule;
  detail: string;
  observed?: string;
}

/** Longest category value (in characters) copied into a violation; longer ones are cut with "…". */
export const MAX_OBSERVED_CATEGORY_CHARS = 64;

/**
 * At most this many undeclared features are reported per event (in name order), so one event with
 * thousands of junk feature names cannot turn into thousands of findings.
 */
export const MAX_UNKNOWN_FEATURES_REPORTED = 10;

/** Longest feature name (in characters) used for an undeclared feature; longer names are cut with "…". */
export const MAX_UNKNOWN_FEATURE_NAME_CHARS = 128;

/**
 * Returns every violation of `schema` by `event`: declared features first (in schema order), then
 * undeclared ones (sorted by name). An empty array means the input is valid.
 */
export function validateInput(schema: ModelSchema, event: InferenceEvent): Violation[] {
  const violations: Violation[] = [];
  const { numberNames, numberValues, otherFeatures } = featureColumns(event);
  const layout = layoutOf(schema, numberNames);

  const { names, specs } = layout;
  for (let spec = 0; spec < names.length; spec++) {
    const name = names[spec] as string;
    const featureSpec = specs[spec] as FeatureSpec;
    const column = layout.columns[spec] as number;
    if (column >= 0) {
      const value = numberValues[column] as number;
      if (featureSpec.type === "number") checkNumber(name, featureSpec, value, violations);
      else wrongType(name, featureSpec.type, "number", violations);
    } else {
      checkFeature(name, featureSpec, otherFeature(otherFeatures, name), violations);
    }
  }

  if (!schema.allowUnknownFeatures) {
    // Most events have no undeclared feature: no list of every name is built to find none.
    let undeclaredOthers: string[] | undefined;
    for (const [name] of otherFeatures) {
      if (schema.features.has(name)) continue;
      undeclaredOthers ??= [];
      undeclaredOthers.push(name);
    }
    if (layout.undeclared.length === 0 && undeclaredOthers === undefined) return violations;
    const unknown = [...layout.undeclared, ...(undeclaredOthers ?? [])].sort();
    const reported = unknown.slice(0, MAX_UNKNOWN_FEATURES_REPORTED);
    const more = unknown.length - reported.length;
    const detail =
      more > 0
        ? `not declared in the schema (${unknown.length} undeclared features in this event, first ${reported.length} reported)`
        : "not declared in the schema";
    const seen = new Set<string>();
    for (const name of reported) {
      const shown = sanitize(name, MAX_UNKNOWN_FEATURE_NAME_CHARS);
      // Two long names cut to the same prefix are one violation.
      if (seen.has(shown)) continue;
      seen.add(shown);
      violations.push({ feature: shown, rule: "unknown_feature", detail });
    }
  }
  return violations;
}

/** Where each declared feature sits among an event's number columns, and the numbers not declared. */
interface NumberLayout {
  schema: ModelSchema;
  /** The declared features, in schema order (a walk of the schema's Map allocates an entry per feature). */
  names: readonly string[];
  specs: readonly FeatureSpec[];
  /** Per declared feature (schema order): its index in the number names, or −1. */
  columns: Int32Array;
  undeclared: readonly string[];
}

/** Layouts by number names: the events of one model decoded as columns share their names array. */
const layouts = new WeakMap<readonly string[], NumberLayout>();

function layoutOf(schema: ModelSchema, numberNames: readonly string[]): NumberLayout {
  const known = layouts.get(numberNames);
  if (known?.schema === schema) return known;
  const index = new Map<string, number>();
  for (let i = 0; i < numberNames.length; i++) index.set(numberNames[i] as string, i);
  const columns = new Int32Array(schema.features.size);
  let spec = 0;
  for (const name of schema.features.keys()) columns[spec++] = index.get(name) ?? -1;
  const layout: NumberLayout = {
    schema,
    names: [...schema.features.keys()],
    specs: [...schema.features.values()],
    columns,
    undeclared: numberNames.filter((name) => !schema.features.has(name)),
  };
  layouts.set(numberNames, layout);
  return layout;
}

function otherFeature(
  features: readonly (readonly [string, FeatureValue | undefined])[],
  name: string,
): FeatureValue | undefined {
  for (const [other, value] of features) if (other === name) return value;
  return undefined;
}

function wrongType(name: string, expected: string, got: string, out: Violation[]): void {
  out.push({ feature: name, rule: "type", detail: `wrong type (expected ${expected}, got ${got})` });
}

function checkFeature(
  name: string,
  spec: FeatureSpec,
  value: FeatureValue | undefined,
  out: Violation[],
): void {
  const kind = value?.kind;
  if (kind === undefined) {
    if (spec.required) out.push({ feature: name, rule: "missing", detail: "missing (required)" });
    return;
  }
  if (kind.$case === "number" && spec.type === "number") checkNumber(name, spec, kind.value, out);
  else if (kind.$case === "category" && spec.type === "category") checkCategory(name, spec, kind.value, out);
  else if (kind.$case === "text" && spec.type === "text") checkText(name, spec, kind.value, out);
  else if (kind.$case === "embedding" && spec.type === "embedding")
    checkEmbedding(name, spec, kind.value.values, out);
  else wrongType(name, spec.type, kind.$case, out);
}

type SpecOf<T extends FeatureSpec["type"]> = Extract<FeatureSpec, { type: T }>;

function checkNumber(name: string, spec: SpecOf<"number">, x: number, out: Violation[]): void {
  // Most values pass: only a violation is worth formatting (String(x) was 8 % of the detector's CPU).
  if (
    Number.isFinite(x) &&
    (spec.min === undefined || x >= spec.min) &&
    (spec.max === undefined || x <= spec.max)
  )
    return;
  const observed = String(x);
  if (!Number.isFinite(x)) {
    out.push({ feature: name, rule: "not_finite", detail: `not finite (observed ${observed})`, observed });
  } else if (spec.min !== undefined && x < spec.min) {
    out.push({
      feature: name,
      rule: "below_min",
      detail: `below min (observed ${observed} < ${spec.min})`,
      observed,
    });
  } else if (spec.max !== undefined && x > spec.max) {
    out.push({
      feature: name,
      rule: "above_max",
      detail: `above max (observed ${observed} > ${spec.max})`,
      observed,
    });
  }
}

function checkCategory(name: string, spec: SpecOf<"category">, category: string, out: Violation[]): void {
  if (spec.allowed.has(category)) return;
  const observed = sanitize(category, MAX_OBSERVED_CATEGORY_CHARS);
  out.push({
    feature: name,
    rule: "unknown_category",
    detail: `unknown category (observed ${JSON.stringify(observed)}, not one of ${spec.allowed.size} allowed values)`,
    observed,
  });
}

function checkText(name: string, spec: SpecOf<"text">, text: string, out: Violation[]): void {
  // The UTF-16 length bounds the character count from above: short texts need no counting.
  if (text.length <= spec.maxLength) return;
  const length = countChars(text);
  if (length <= spec.maxLength) return;
  // Only the length: the text itself may hold personal data and must not reach findings or alerts.
  out.push({
    feature: name,
    rule: "too_long",
    detail: `too long (observed length ${length} > ${spec.maxLength})`,
    observed: `length ${length}`,
  });
}

function checkEmbedding(
  name: string,
  spec: SpecOf<"embedding">,
  values: readonly number[],
  out: Violation[],
): void {
  if (values.length !== spec.dimensions) {
    out.push({
      feature: name,
      rule: "dimension",
      detail: `wrong dimension (observed ${values.length}, expected ${spec.dimensions})`,
      observed: `${values.length} dimensions`,
    });
  }
  let bad = 0;
  let first = -1;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad > 0) {
    out.push({
      feature: name,
      rule: "not_finite",
      detail: `not finite (${bad} of ${values.length} values are NaN or infinite, first at index ${first}: ${values[first]})`,
      observed: `${bad} non-finite values`,
    });
  }
}

/** Counts Unicode code points (what a person calls characters, near enough). */
function countChars(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Makes a client-controlled string safe to show in alerts and logs: control characters become U+FFFD
 * and the result has at most `maxChars` code points (cut ones end in "…").
 */
function sanitize(value: string, maxChars: number): string {
  // A code point is at most 2 UTF-16 units, so the first 2 * maxChars units hold every character kept;
  // this keeps the work bounded however long the value is.
  const head = value.length > 2 * maxChars ? value.slice(0, 2 * maxChars) : value;
  const clean = head.replace(/\p{Cc}/gu, "\uFFFD");
  if (value.length <= maxChars) return clean;
  const chars = Array.from(clean);
  if (head === value && chars.length <= maxChars) return clean;
  return `${chars.slice(0, maxChars - 1).join("")}…`;
}
