import type { AlertStore } from "../adapters/alert-store.js";
import type { AlertRecord } from "../domain/alert.js";
import { NotFound } from "../domain/errors.js";

/** The tenant's alert as stored; another tenant's alert is not found, so ids do not leak across tenants. */
export async function alertOfTenant(
  store: Pick<AlertStore, "getAlert">,
  tenant: string,
  fingerprint: string,
): Promise<{ raw: string; alert: AlertRecord }> {
  const found = await store.getAlert(fingerprint);
  if (!found || found.alert.tenant !== tenant) throw new NotFound(`no alert with fingerprint ${fingerprint}`);
  return found;
}
