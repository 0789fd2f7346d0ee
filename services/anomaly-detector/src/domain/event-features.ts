// An event's features as the detectors read them: the numbers as two parallel columns (names and
// values) and every other feature as a list, read once per event. A decoded event's features object
// has dozens of keys set one by one, which V8 keeps as a hash table: each of the three walks and sixty
// lookups the detectors made of it per event cost more than the detectors' own work on a feature.
// The service decodes events straight into columns (`ColumnarInferenceEvent`); any other event (tests,
// ScreenInput) is read from its features object once.
import type { FeatureValue, InferenceEvent, InferenceEventColumns, ModelOutput } from "@argus/proto";

export interface FeatureColumns {
  /** Names of the number features; events of one model decoded as columns share one array. */
  numberNames: readonly string[];
  /** `numberValues[i]` is the value of `numberNames[i]` (not necessarily finite). */
  numberValues: ArrayLike<number>;
  /**
   * Every other feature (category, text, embedding, none), in the order a walk of the event's
   * features object gives them (array-index names first, ascending, then the order they came).
   */
  otherFeatures: readonly (readonly [string, FeatureValue | undefined])[];
}

/**
 * An InferenceEvent decoded as columns: what `decodeInferenceEvent` gives, with the features object
 * built only when something asks for it (the detectors read `featureColumns` instead). A feature
 * named "__proto__" is left out, as the features object of a decoded event loses it.
 */
export class ColumnarInferenceEvent implements InferenceEvent {
  eventId: string;
  modelId: string;
  modelVersion: string;
  requestId: string;
  clientId: string;
  tenant: string;
  eventTime: Date | undefined;
  output: ModelOutput | undefined;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  clientIdKeyId: string;
  readonly columns: FeatureColumns;
  private built: InferenceEvent["features"] | undefined;

  constructor(event: InferenceEventColumns) {
    this.eventId = event.eventId;
    this.modelId = event.modelId;
    this.modelVersion = event.modelVersion;
    this.requestId = event.requestId;
    this.clientId = event.clientId;
    this.tenant = event.tenant;
    this.eventTime = Number.isNaN(event.eventTimeMs) ? undefined : new Date(event.eventTimeMs);
    this.output = event.output;
    this.latencyMs = event.latencyMs;
    this.inputTokens = event.inputTokens;
    this.outputTokens = event.outputTokens;
    this.clientIdKeyId = event.clientIdKeyId;
    this.columns = columnsOfDecoded(event);
    this.built = undefined;
  }

  get features(): InferenceEvent["features"] {
    if (this.built === undefined) {
      const features: InferenceEvent["features"] = {};
      const { numberNames, numberValues, otherFeatures } = this.columns;
      for (let i = 0; i < numberNames.length; i++)
        features[numberNames[i] as string] = { kind: { $case: "number", value: numberValues[i] as number } };
      for (const [name, value] of otherFeatures) if (value !== undefined) features[name] = value;
      this.built = features;
    }
    return this.built;
  }

  set features(features: InferenceEvent["features"]) {
    this.built = features;
  }
}

/** The event's features as columns: read once from its features object unless it was decoded as columns. */
export function featureColumns(event: InferenceEvent): FeatureColumns {
  if (event instanceof ColumnarInferenceEvent) return event.columns;
  const numberNames: string[] = [];
  const numberValues: number[] = [];
  const otherFeatures: [string, FeatureValue | undefined][] = [];
  const features = event.features;
  for (const name in features) {
    // Own keys only: a feature called "constructor" must not be found on Object.prototype.
    if (!Object.hasOwn(features, name)) continue;
    const value = features[name];
    const kind = value?.kind;
    if (kind?.$case === "number") {
      numberNames.push(name);
      numberValues.push(kind.value);
    } else {
      otherFeatures.push([name, value]);
    }
  }
  return { numberNames, numberValues, otherFeatures };
}

function columnsOfDecoded(event: InferenceEventColumns): FeatureColumns {
  let { numberNames, numberValues } = event;
  let otherFeatures = event.otherFeatures;
  const lost = numberNames.indexOf("__proto__");
  if (lost >= 0) {
    numberNames = numberNames.filter((_, i) => i !== lost);
    numberValues = numberValues.filter((_, i) => i !== lost);
  }
  if (otherFeatures.length > 0) {
    otherFeatures = otherFeatures.filter(([name]) => name !== "__proto__");
    // An object lists array-index keys first, ascending: the order every other walk saw.
    if (otherFeatures.some(([name]) => isArrayIndex(name)))
      otherFeatures = [
        ...otherFeatures.filter(([name]) => isArrayIndex(name)).sort(([a], [b]) => Number(a) - Number(b)),
        ...otherFeatures.filter(([name]) => !isArrayIndex(name)),
      ];
  }
  return { numberNames, numberValues, otherFeatures };
}

/** A name an object keeps as an array index (canonical decimal below 2³² − 1). */
function isArrayIndex(name: string): boolean {
  const value = Number(name);
  return Number.isInteger(value) && value >= 0 && value < 2 ** 32 - 1 && String(value) === name;
}
