import { BaselineSource, type BaselineSpec } from "@argus/proto";
import { type BaselineBuilder, type BaselineProfile, profileHash } from "./baseline-profile.js";
import type { StoredBaseline } from "./baseline-record.js";
import { profileFromWindow } from "./frozen-window.js";
import type { WindowState } from "./window-state.js";

/** Who sets the baseline: the tenant owns the model from then on, the principal is recorded. */
export interface BaselineCaller {
  tenant: string;
  principal: string;
}

/** The request cannot be served as sent (the message says what to change). */
export class InvalidBaselineRequest extends Error {
  override readonly name = "InvalidBaselineRequest";
}

/** The model or window the request names does not exist for the caller's tenant. */
export class BaselineTargetNotFound extends Error {
  override readonly name = "BaselineTargetNotFound";
}

const knownSources = new Set([
  BaselineSource.BASELINE_SOURCE_CSV,
  BaselineSource.BASELINE_SOURCE_JSON_LINES,
  BaselineSource.BASELINE_SOURCE_PROTO_ROWS,
  BaselineSource.BASELINE_SOURCE_FROZEN_WINDOW,
]);

/**
 * Checks a spec as it arrives, before any of the upload is read. `ownerTenant` owns the model today
 * (undefined: nobody yet, and the caller's tenant will). Another tenant's model is "not found": its
 * baseline can be neither replaced nor copied, and the answer must not tell that it exists.
 */
export function acceptBaselineSpec(
  spec: BaselineSpec,
  ownerTenant: string | undefined,
  caller: BaselineCaller,
): void {
  if (ownerTenant !== undefined && ownerTenant !== caller.tenant)
    throw new BaselineTargetNotFound(`model "${spec.modelId}" has no drift data`);
  if (!knownSources.has(spec.source))
    throw new InvalidBaselineRequest("spec.source must be CSV, JSON_LINES, PROTO_ROWS or FROZEN_WINDOW");
  if (spec.source === BaselineSource.BASELINE_SOURCE_FROZEN_WINDOW && !spec.windowStart)
    throw new InvalidBaselineRequest("spec.window_start is required for FROZEN_WINDOW");
}

/** What the baseline is made of: uploaded reference rows, or the state of a window to freeze. */
export type BaselineContent = { rows: BaselineBuilder } | { window: WindowState };

/** The baseline to store for `spec` (the store gives it its version), set by `caller` at `now`. */
export function planBaseline(
  spec: BaselineSpec,
  content: BaselineContent,
  caller: BaselineCaller,
  now: Date,
): Omit<StoredBaseline, "version"> {
  const profile = profileOf(spec, content);
  return {
    modelId: spec.modelId,
    contentHash: profileHash(profile),
    source: spec.source,
    tenant: caller.tenant,
    setBy: caller.principal,
    setAt: now.toISOString(),
    description: spec.description,
    profile,
  };
}

function profileOf(spec: BaselineSpec, content: BaselineContent): BaselineProfile {
  if ("window" in content) {
    if (content.window.events === 0)
      throw new BaselineTargetNotFound(
        `model "${spec.modelId}" has no data in window ${spec.windowStart?.toISOString()}`,
      );
    return profileFromWindow(spec.modelId, content.window);
  }
  try {
    return content.rows.build();
  } catch (error) {
    throw new InvalidBaselineRequest((error as Error).message);
  }
}
