import type { AlertRecord } from "./alert.js";
import { type Matcher, matchesAll } from "./routing/matchers.js";

/** Which alerts a ListAlerts caller sees: only its tenant's, narrowed by model, state and label matchers. */
export interface AlertQuery {
  tenant: string;
  /** Empty: any model. */
  modelId: string;
  /** Undefined: either state. */
  state?: AlertRecord["state"];
  matchers: readonly Matcher[];
}

export function matchesQuery(alert: AlertRecord, query: AlertQuery): boolean {
  if (alert.tenant !== query.tenant) return false;
  if (query.modelId && alert.modelId !== query.modelId) return false;
  if (query.state && alert.state !== query.state) return false;
  return matchesAll(query.matchers, alert.labels);
}
