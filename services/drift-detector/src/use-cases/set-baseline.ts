import { BaselineSource } from "@argus/proto";
import type { AuditLog, CallerScope } from "@argus/runtime";
import type { BaselineStore } from "../adapters/baseline-store.js";
import type { WindowStore } from "../adapters/window-store.js";
import type { StoredBaseline } from "../domain/baseline-record.js";
import { acceptBaselineSpec, type BaselineContent, planBaseline } from "../domain/baseline-request.js";
import type { DriftConfigs } from "../domain/drift-config.js";
import { parseWindowState } from "../domain/window-state.js";
import { type BaselinePart, receiveUpload } from "./baseline-upload.js";

export interface SetBaselineDeps {
  windows: Pick<WindowStore, "readWindow">;
  baselines: Pick<BaselineStore, "save">;
  configs: DriftConfigs;
  /** The tenant that owns a model today (from its windows or its baseline); undefined: none yet. */
  ownerOf: (modelId: string) => Promise<string | undefined>;
  clock: () => Date;
  audit: AuditLog;
}

/** The baseline stored, with what the response reports of its profile. */
export interface SetBaselineOutcome {
  stored: StoredBaseline;
  rowCount: number;
  features: string[];
}

/**
 * SetBaseline: reads the upload (checking the spec, and the model's owner, before any data), plans
 * the baseline from its rows or from the frozen window, and stores it as the model's next version
 * in one write, recorded in the audit log. Throws the domain's InvalidBaselineRequest and
 * BaselineTargetNotFound; anything else is a store that failed.
 */
export async function setBaseline(
  deps: SetBaselineDeps,
  caller: CallerScope,
  parts: AsyncIterable<BaselinePart>,
): Promise<SetBaselineOutcome> {
  const upload = await receiveUpload(
    parts,
    (modelId) => deps.configs.forModel(modelId).pcaComponents,
    async (spec) => acceptBaselineSpec(spec, await deps.ownerOf(spec.modelId), caller),
  );
  const { spec } = upload;
  const content: BaselineContent =
    spec.source === BaselineSource.BASELINE_SOURCE_FROZEN_WINDOW
      ? {
          window: parseWindowState(
            await deps.windows.readWindow(spec.modelId, (spec.windowStart as Date).getTime()),
          ),
        }
      : { rows: upload.rows };
  const planned = planBaseline(spec, content, caller, deps.clock());
  const stored = await deps.baselines.save(planned);
  await deps.audit.append({
    actor: caller.principal,
    tenant: caller.tenant,
    action: "drift.set_baseline",
    target: stored.modelId,
    detail: {
      version: String(stored.version),
      content_hash: stored.contentHash,
      source: String(stored.source),
      description: stored.description,
    },
  });
  return { stored, rowCount: planned.profile.rowCount, features: Object.keys(planned.profile.features) };
}
