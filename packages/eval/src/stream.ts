/** One prediction of the simulated stream, with the ground truth the scorer needs. */
export interface StreamEvent {
  eventId: string;
  /** Milliseconds since the start of the simulated period (event time, not send time). */
  atMs: number;
  /** The raw client id; the SDK pseudonymizes it. */
  clientId: string;
  modelId: string;
  features: Record<string, number | { text: string }>;
  output: { label: string; scores: Record<string, number> } | { generatedText: string };
  latencyMs: number;
  inputTokens?: number;
  outputTokens?: number;
  /** Text events in the prompt-injection evaluation: the prompt's category and whether it attacks. */
  text?: { category: string; attack: boolean };
}

export const minute = 60_000;
export const hour = 60 * minute;
