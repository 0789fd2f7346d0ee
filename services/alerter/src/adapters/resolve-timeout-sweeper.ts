import type { Logger } from "@argus/runtime";
import { PollingWorker } from "@argus/runtime";
import { kindName, lastHeardMs } from "../domain/alert.js";
import { type AlerterRoutingConfig, resolveTimeoutFor } from "../domain/routing/config.js";
import type { AlerterUseCases } from "../use-cases/alerter-use-cases.js";
import type { AlertStore } from "./alert-store.js";

/**
 * Resolves firing alerts that no finding has touched for their kind's resolve timeout (Alertmanager's
 * resolve_timeout): a detector that stops reporting a condition must not leave it firing forever.
 * Silence is wall time since the alerter last heard of the alert (processing time), so replayed or
 * late findings with old event times fire for the whole timeout too. The episode ends, in the
 * alert's own (event) time, at its last update + timeout, recorded as resolved by
 * "alerter:resolve_timeout".
 */
export class ResolveTimeoutSweeper extends PollingWorker {
  constructor(
    private readonly store: AlertStore,
    private readonly endEpisode: AlerterUseCases["endEpisode"],
    private readonly routing: () => AlerterRoutingConfig,
    pollMs: number,
    logger: Logger,
  ) {
    super("resolve timeout sweep", pollMs, logger);
  }

  protected async pass(): Promise<void> {
    const config = this.routing();
    const shortest = Math.min(config.resolveTimeoutMs, ...Object.values(config.resolveTimeoutsByKind));
    const now = Date.now();
    const stale = await this.store.firingHeardBefore(now - shortest, 200);
    if (stale.length === 0) return;
    // Alerts with a longer timeout than the shortest come back every pass: read them in one MGET.
    const values = await this.store.alertValues(stale);
    const gone = stale.filter((_, index) => values[index] === null);
    await this.store.forgetFiring(gone);
    for (const [index, fingerprint] of stale.entries()) {
      const raw = values[index];
      if (raw === null || raw === undefined) continue;
      const found = { raw, alert: this.store.parseAlert(fingerprint, raw) };
      const timeout = resolveTimeoutFor(config, kindName(found.alert.kind));
      if (now - lastHeardMs(found.alert) < timeout) continue;
      const lastUpdate = Date.parse(found.alert.updatedAt);
      await this.endEpisode(found, "alerter:resolve_timeout", new Date(lastUpdate + timeout));
    }
  }
}
