import type { BaselineSource } from "@argus/proto";
import type { BaselineProfile } from "./baseline-profile.js";

/** A baseline as stored: the profile plus its provenance. Every report names the version it used. */
export interface StoredBaseline {
  modelId: string;
  /** Tenant of whoever set it: only that tenant's principals see the model through it. */
  tenant: string;
  version: number;
  contentHash: string;
  source: BaselineSource;
  setBy: string;
  setAt: string;
  description: string;
  profile: BaselineProfile;
}
