/**
 * One input feature: a number, a category (string), free text (`{ text }`) or an embedding vector
 * (sent as float32, as the contract says).
 */
export type FeatureInput =
  | number
  | string
  | { text: string }
  | readonly number[]
  | Float32Array
  | Float64Array;

/** What the model answered: class label (and scores), a regression value, or generated text. */
export type OutputInput =
  | { label: string; scores?: Record<string, number> }
  | { regression: number }
  | { generatedText: string };

/** The friendly form of one prediction, as given to `monitor.record()`. */
export interface RecordInput {
  /** The raw client id (user, API key, tenant-scoped account...). Pseudonymized before it leaves. */
  clientId: string;
  requestId?: string;
  /** A UUID; a random one by default. Stays the same if the SDK has to re-send the event. */
  eventId?: string;
  /** When the prediction was made; now by default. */
  eventTime?: Date;
  features: Record<string, FeatureInput>;
  output: OutputInput;
  latencyMs?: number;
  inputTokens?: number;
  outputTokens?: number;
}
