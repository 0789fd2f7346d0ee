import type { AuditLog } from "@argus/runtime";
import type { AttemptOutcome } from "../domain/delivery-policy.js";
import type { Integration } from "../domain/routing/config.js";

/** Who asks: the tenant every lookup is scoped to, and the principal recorded as having done it. */
export interface Caller {
  tenant: string;
  actor: string;
}

/** Tells the workers there is work now instead of at their next poll. */
export interface Wake {
  groups(): void;
  outbox(): void;
}

export type Clock = () => Date;

/** The deployment's audit log: who changed what, for whom. */
export type AuditTrail = Pick<AuditLog, "append">;

/** Sends one message to one integration now, outside the outbox (TestReceiver). */
export type SendNow = (
  integration: Integration,
  message: { id: string; body: string },
  now: Date,
) => Promise<AttemptOutcome>;

export async function recordAction(
  audit: AuditTrail,
  caller: Caller,
  action: string,
  target: string,
  detail: Record<string, string> = {},
): Promise<void> {
  await audit.append({ actor: caller.actor, tenant: caller.tenant, action, target, detail });
}
