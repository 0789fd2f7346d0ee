import { randomUUID } from "node:crypto";
import type { ReceiverHealthStore } from "../adapters/receiver-health-store.js";
import type { RoutingConfigSource } from "../adapters/routing-config-source.js";
import { NotFound } from "../domain/errors.js";
import { integrationName } from "../domain/notification.js";
import { notificationBody } from "../domain/payloads.js";
import { type TestResult, testAlert, testResult, testSummary } from "../domain/test-notification.js";
import { type AuditTrail, type Caller, type Clock, recordAction, type SendNow, type Wake } from "./ports.js";

export interface TestReceiverDeps {
  routing: Pick<RoutingConfigSource, "current">;
  receiverHealth: Pick<ReceiverHealthStore, "enable">;
  send: SendNow;
  wake: Pick<Wake, "outbox">;
  audit: AuditTrail;
  clock: Clock;
}

/**
 * Sends a test notification to each integration of `receiverName` now, outside the outbox; a
 * delivery (2xx) re-enables an integration that was disabled, and the outbox is woken to use it.
 */
export async function testReceiver(
  deps: TestReceiverDeps,
  caller: Caller,
  receiverName: string,
): Promise<TestResult[]> {
  const config = deps.routing.current;
  const receiver = config.receivers.get(receiverName);
  if (!receiver) throw new NotFound(`no receiver named ${receiverName}`);
  const now = deps.clock();
  const alert = testAlert(caller.tenant, now);
  const results: TestResult[] = [];
  for (const [index, integration] of receiver.integrations.entries()) {
    const body = notificationBody(
      { ...integration, sendResolved: true },
      {
        receiver: receiver.name,
        groupKey: `${caller.tenant}/test`,
        groupLabels: { alertname: "ArgusTestNotification" },
        alerts: [alert],
        acknowledged: new Set(),
        reason: "test",
        externalUrl: config.externalUrl,
        now,
      },
    );
    const outcome = await deps.send(integration, { id: `msg_test_${randomUUID()}`, body: body ?? "{}" }, now);
    const result = testResult(integrationName(receiver.name, integration, index), outcome);
    if (result.delivered) await deps.receiverHealth.enable([{ receiver: receiver.name, integration: index }]);
    results.push(result);
  }
  await recordAction(deps.audit, caller, "alerter.test_receiver", receiverName, {
    results: testSummary(results),
  });
  deps.wake.outbox();
  return results;
}
