import type { Redis } from "@argus/runtime";
import type { AlertStore } from "./alert-store.js";
import { throwFirstError } from "./pipeline-replies.js";

/** One integration of a receiver: the receiver's name and the integration's index in it. */
export interface IntegrationRef {
  receiver: string;
  integration: number;
}

/**
 * Re-enables receivers' integrations by hand (an operator reloaded or tested them): their breaker
 * closes and a 410 Gone is forgotten. The delivery path reads and writes this state itself.
 */
export class ReceiverHealthStore {
  constructor(
    private readonly redis: Redis,
    private readonly store: AlertStore,
  ) {}

  async enable(integrations: readonly IntegrationRef[]): Promise<void> {
    if (integrations.length === 0) return;
    // One DEL each (pipelined): the keys of different receivers need not share a cluster slot.
    const pipeline = this.redis.pipeline();
    for (const { receiver, integration } of integrations)
      pipeline.del(this.store.receiverStateKey(receiver, integration));
    throwFirstError(await pipeline.exec());
  }
}
