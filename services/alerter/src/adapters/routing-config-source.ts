import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError } from "@argus/runtime";
import type { AlerterConfig } from "../config.js";
import {
  type AlerterRoutingConfig,
  parseRoutingConfig,
  RoutingConfigError,
} from "../domain/routing/config.js";
import { singleWebhookRoutingYaml } from "../domain/routing/default-config.js";

export interface LoadedRouting {
  config: AlerterRoutingConfig;
  /** sha256 of the text in force: what ReloadConfig reports and the audit trail records. */
  hash: string;
  routes: number;
}

/**
 * The routing configuration in force. A reload that fails (unreadable file, bad YAML, a route to a
 * receiver that does not exist) throws and keeps the running configuration: a typo must never
 * leave on-call without pages.
 */
export class RoutingConfigSource {
  private loaded: LoadedRouting;

  constructor(private readonly settings: AlerterConfig) {
    try {
      this.loaded = this.read();
    } catch (error) {
      const field = settings.ALERTER_CONFIG_FILE ? "ALERTER_CONFIG_FILE" : "ALERTER_WEBHOOK_URL";
      throw new ConfigError(`${field}: ${(error as Error).message}`);
    }
  }

  get current(): AlerterRoutingConfig {
    return this.loaded.config;
  }

  get state(): LoadedRouting {
    return this.loaded;
  }

  reload(): LoadedRouting {
    this.loaded = this.read();
    return this.loaded;
  }

  private read(): LoadedRouting {
    const text = this.settings.ALERTER_CONFIG_FILE
      ? readText(this.settings.ALERTER_CONFIG_FILE)
      : singleWebhookConfig(this.settings);
    const config = parseRoutingConfig(text, readText);
    return {
      config,
      hash: createHash("sha256").update(text).digest("hex"),
      routes: countRoutes(config.route),
    };
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new RoutingConfigError(
      "",
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
}

function countRoutes(route: AlerterRoutingConfig["route"]): number {
  return 1 + route.routes.reduce((sum, child) => sum + countRoutes(child), 0);
}

/** The configuration the environment-only setup means (see singleWebhookRoutingYaml). */
function singleWebhookConfig(settings: AlerterConfig): string {
  return singleWebhookRoutingYaml({
    url: settings.ALERTER_WEBHOOK_URL ?? "",
    signingSecret: settings.ALERTER_WEBHOOK_SECRET ?? "",
    groupWait: settings.ALERTER_GROUP_WAIT,
    groupInterval: settings.ALERTER_GROUP_INTERVAL,
    repeatInterval: settings.ALERTER_REPEAT_INTERVAL,
    clientGroupWait: settings.ALERTER_CLIENT_GROUP_WAIT,
    driftGroupWait: settings.ALERTER_DRIFT_GROUP_WAIT,
    driftGroupInterval: settings.ALERTER_DRIFT_GROUP_INTERVAL,
  });
}
