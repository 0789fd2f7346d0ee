import { createEvidenceSealer, createLogger, createRedis } from "@argus/runtime";
import { testEvidenceKeys, uniqueNamespace } from "@argus/testkit";
import { afterAll, describe, expect, inject, it } from "vitest";
import { AlertStore } from "../src/adapters/alert-store.js";
import { listDeadLetters } from "../src/adapters/dead-letter-list.js";
import type { Notification } from "../src/domain/notification.js";

const redis = createRedis(inject("redisUrl"), createLogger("dead-letter-list-test", "silent"));
afterAll(() => redis.quit());

function store(): AlertStore {
  const namespace = uniqueNamespace("dead-letters");
  const sealer = createEvidenceSealer(testEvidenceKeys.keys, testEvidenceKeys.keyId);
  return new AlertStore(redis, (...parts) => [namespace, ...parts].join(":"), 60_000, sealer);
}

/** Dead-letters a notification of `tenant` at `deadAtMs`, as the dispatcher stores one. */
async function deadLetter(into: AlertStore, id: string, tenant: string, deadAtMs: number): Promise<void> {
  const notification: Notification = {
    id,
    queue: "q",
    groupKey: "{}",
    gid: "g",
    tenant,
    receiver: "oncall",
    integration: 0,
    integrationType: "webhook",
    sequence: 1,
    reason: "new",
    fingerprints: [],
    createdAt: new Date(deadAtMs).toISOString(),
    body: "{}",
    attempts: 3,
    deadAt: new Date(deadAtMs).toISOString(),
    deadReason: "receiver answered 410",
  };
  await redis.set(into.itemKey(id), into.serializeNotification(notification));
  await redis.zadd(into.deadKey, deadAtMs, id);
}

async function everyPage(from: AlertStore, tenant: string, pageSize: number, between?: () => Promise<void>) {
  const seen: string[] = [];
  let after = null;
  for (;;) {
    const page = await listDeadLetters(from, tenant, after, pageSize);
    seen.push(...page.items.map((item) => item.id));
    if (page.next === null) return seen;
    after = page.next;
    await between?.();
  }
}

describe("listing dead letters page by page", () => {
  it("shows each dead letter once, newest first, while new ones come in at the top", async () => {
    const into = store();
    for (let i = 0; i < 7; i++) await deadLetter(into, `msg_${i}`, "acme", 1_000 + i);
    let arriving = 100;
    const seen = await everyPage(into, "acme", 2, () =>
      deadLetter(into, `msg_new${arriving}`, "acme", 5_000 + arriving++),
    );
    expect(seen).toEqual(["msg_6", "msg_5", "msg_4", "msg_3", "msg_2", "msg_1", "msg_0"]);
  });

  it("pages through dead letters that share a time, and past other tenants' ones", async () => {
    const into = store();
    for (const id of ["msg_a", "msg_b", "msg_c", "msg_d"]) await deadLetter(into, id, "acme", 2_000);
    for (let i = 0; i < 5; i++) await deadLetter(into, `msg_other${i}`, "globex", 1_500 + i);
    await deadLetter(into, "msg_old", "acme", 1_000);
    const seen = await everyPage(into, "acme", 3);
    expect(seen).toEqual(["msg_d", "msg_c", "msg_b", "msg_a", "msg_old"]);
    expect(await everyPage(into, "globex", 1)).toHaveLength(5);
  });
});
