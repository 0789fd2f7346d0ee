import type { Rng } from "./random.js";
import { poissonArrivals } from "./random.js";
import { hour, type StreamEvent } from "./stream.js";
import { type TabularModel, toFeatureRecord, toOutput } from "./tabular.js";
import { benignReply, normalTextCost, type Prompt } from "./text.js";

/** The three monitored endpoints: two tabular models and one LLM text endpoint. */
export interface Endpoints {
  credit: TabularModel;
  merchant: TabularModel;
  llm: { modelId: string; modelVersion: string };
  benignPrompts: Prompt[];
}

export interface TrafficOptions {
  clients: number;
  serviceAccounts: number;
  periodMs: number;
  /** Median of the per-client request rates (log-normal across clients). */
  medianRatePerHour: number;
  /** σ of ln(rate) across clients. */
  rateSigma: number;
  /** Steady rate range of the service accounts. */
  serviceAccountRatePerHour: [number, number];
}

export interface BenignClient {
  clientId: string;
  ratePerHour: number;
  serviceAccount: boolean;
  /** Share of this client's requests going to credit, merchant and the LLM endpoint. */
  modelShares: [number, number, number];
}

export function benignClients(rng: Rng, options: TrafficOptions): BenignClient[] {
  if (options.clients < 1) throw new Error("at least one benign client is needed");
  const clients: BenignClient[] = [];
  for (let i = 0; i < options.clients; i++) {
    // Most clients mainly use one endpoint, as an integration does; a few spread over all three.
    const primary = rng.pick([0, 0, 0, 1, 1, 2, 2]);
    const focus = rng.uniform(0.6, 0.95);
    const shares: [number, number, number] = [0, 0, 0];
    for (let m = 0; m < 3; m++) shares[m] = m === primary ? focus : (1 - focus) / 2;
    clients.push({
      clientId: `client-${String(i + 1).padStart(4, "0")}`,
      ratePerHour: rng.logNormal(Math.log(options.medianRatePerHour), options.rateSigma),
      serviceAccount: false,
      modelShares: shares,
    });
  }
  for (let i = 0; i < options.serviceAccounts; i++) {
    const [low, high] = options.serviceAccountRatePerHour;
    const only = rng.int(0, 1);
    clients.push({
      clientId: `svc-batch-${String(i + 1).padStart(2, "0")}`,
      ratePerHour: rng.uniform(low, high),
      serviceAccount: true,
      modelShares: only === 0 ? [1, 0, 0] : [0, 1, 0],
    });
  }
  return clients;
}

/**
 * Arrival times of one client: a Poisson process for people and integrations; a nearly regular
 * one (jittered period) for service accounts, which run on schedules.
 */
export function arrivalTimes(rng: Rng, client: BenignClient, startMs: number, endMs: number): number[] {
  const ratePerMs = client.ratePerHour / hour;
  if (!client.serviceAccount) return poissonArrivals(rng, ratePerMs, startMs, endMs);
  const interval = 1 / ratePerMs;
  const times: number[] = [];
  for (let t = startMs + rng.uniform(0, interval); t < endMs; t += interval * rng.uniform(0.9, 1.1))
    times.push(t);
  return times;
}

export function tabularEvent(
  rng: Rng,
  model: TabularModel,
  clientId: string,
  atMs: number,
  input: number[],
): StreamEvent {
  return {
    eventId: rng.uuid(),
    atMs,
    clientId,
    modelId: model.modelId,
    features: toFeatureRecord(model, input),
    output: toOutput(model, input),
    latencyMs: Math.round(rng.logNormal(Math.log(6), 0.35) * 100) / 100,
  };
}

export function textEvent(
  rng: Rng,
  endpoints: Endpoints,
  clientId: string,
  atMs: number,
  prompt: string,
  reply: string,
  cost = normalTextCost(rng, prompt),
): StreamEvent {
  return {
    eventId: rng.uuid(),
    atMs,
    clientId,
    modelId: endpoints.llm.modelId,
    features: { prompt: { text: prompt } },
    output: { generatedText: reply },
    latencyMs: cost.latencyMs,
    inputTokens: cost.inputTokens,
    outputTokens: cost.outputTokens,
  };
}

/**
 * Deals items from a reshuffled deck: every item comes up once before any comes up twice, so a
 * stream with as many text requests as the corpus has prompts carries every prompt of it.
 */
export function deck<T>(rng: Rng, items: readonly T[]): () => T {
  if (items.length === 0) throw new Error("cannot deal from an empty deck");
  let cards: T[] = [];
  return () => {
    if (cards.length === 0) cards = rng.shuffle([...items]);
    return cards.pop() as T;
  };
}

/** Every request of the benign clients over [0, periodMs), unsorted. */
export function benignEvents(
  rng: Rng,
  endpoints: Endpoints,
  clients: BenignClient[],
  periodMs: number,
): StreamEvent[] {
  const events: StreamEvent[] = [];
  const nextPrompt = deck(rng.fork(), endpoints.benignPrompts);
  for (const client of clients) {
    const recent = new Map<string, number[]>();
    for (const atMs of arrivalTimes(rng, client, 0, periodMs)) {
      const u = rng.next();
      const endpoint =
        u < client.modelShares[0] ? 0 : u < client.modelShares[0] + client.modelShares[1] ? 1 : 2;
      if (endpoint === 2) {
        const prompt = nextPrompt();
        const event = textEvent(rng, endpoints, client.clientId, atMs, prompt.text, benignReply(rng));
        events.push({ ...event, text: { category: prompt.category, attack: false } });
        continue;
      }
      const model = endpoint === 0 ? endpoints.credit : endpoints.merchant;
      // Real clients sometimes score the same record again (a retry, a refreshed page).
      const previous = recent.get(model.modelId);
      const input = previous !== undefined && rng.next() < 0.05 ? previous : model.sample(rng);
      recent.set(model.modelId, input);
      events.push(tabularEvent(rng, model, client.clientId, atMs, input));
    }
  }
  return events;
}
