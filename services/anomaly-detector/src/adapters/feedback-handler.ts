import type { FeedbackEvent } from "@argus/proto";
import {
  applyFenced,
  type FencedCommand,
  type OffsetFence,
  type PublishFindings,
  type RecordBatch,
  type Redis,
  untraced,
} from "@argus/runtime";
import {
  judgeSources,
  type PoisoningPolicy,
  poisoningFinding,
  type SourceCounts,
} from "../domain/poisoning.js";

const counterNames = ["confident", "confidentDisagree", "cross", "crossDisagree"] as const;

/**
 * Judges label sources as their labels arrive (feedback is keyed by model, so one consumer sees all
 * of a model's labels in order): each label is compared with the model's confident prediction for
 * the request and with the first label another source gave it; per-source counters live in one
 * hash per model and are updated with the offset fence.
 */
export function createFeedbackHandler(deps: {
  redis: Redis;
  key: (...parts: string[]) => string;
  fence: OffsetFence;
  publish: PublishFindings;
  policy: PoisoningPolicy;
  labelTtlMs: number;
}): (batch: RecordBatch<FeedbackEvent>) => Promise<void> {
  const { redis, key } = deps;
  const countsKey = (modelId: string) => key("poisoning", `{${modelId}}`);
  return async (batch) => {
    await applyFenced(deps.fence, batch, async (records) => {
      const labels = records.flatMap((record) => {
        const target = record.value.target;
        if (target?.$case !== "label" || target.value.value?.$case !== "label" || !target.value.requestId)
          return [];
        return [{ event: record.value, requestId: target.value.requestId, label: target.value.value.value }];
      });
      if (labels.length === 0) return [];
      const models = [...new Set(labels.map(({ event }) => event.modelId))];
      const lookups = labels.flatMap(({ event, requestId }) => [
        confidentKey(key, event.modelId, requestId),
        firstLabelKey(key, event.modelId, requestId),
      ]);
      const [found, ...hashes] = await Promise.all([
        redis.mget(lookups),
        ...models.map((m) => redis.hgetall(countsKey(m))),
      ]);
      const counts = new Map(models.map((m, i) => [m, parseCounts(hashes[i] as Record<string, string>)]));
      const alarmed = new Map(
        models.map((m, i) => [
          m,
          new Set(Object.keys(hashes[i] as object).filter((f) => f.endsWith("|alarmed"))),
        ]),
      );
      const commands: FencedCommand[] = [];
      const firstLabels = new Map<string, { source: string; label: string }>();
      labels.forEach(({ event, requestId, label }, i) => {
        const perSource = counts.get(event.modelId) as Record<string, SourceCounts>;
        let source = perSource[event.source];
        if (!source) {
          source = { confident: 0, confidentDisagree: 0, cross: 0, crossDisagree: 0 };
          perSource[event.source] = source;
        }
        const confident = found[i * 2];
        if (confident) {
          source.confident++;
          if (confident !== label) source.confidentDisagree++;
        }
        const firstKey = firstLabelKey(key, event.modelId, requestId);
        const stored = found[i * 2 + 1];
        const first =
          firstLabels.get(firstKey) ??
          (stored ? (JSON.parse(stored) as { source: string; label: string }) : undefined);
        if (!first) {
          firstLabels.set(firstKey, { source: event.source, label });
          commands.push([
            "SET",
            firstKey,
            JSON.stringify({ source: event.source, label }),
            "PX",
            deps.labelTtlMs,
            "NX",
          ]);
        } else if (first.source !== event.source) {
          source.cross++;
          if (first.label !== label) source.crossDisagree++;
        }
      });
      const findings = [];
      for (const [modelId, perSource] of counts) {
        const tenant = labels.find(({ event }) => event.modelId === modelId)?.event.tenant ?? "";
        for (const [source, values] of Object.entries(perSource)) {
          for (const name of counterNames)
            commands.push([
              "HSET",
              countsKey(modelId),
              `${encodeURIComponent(source)}|${name}`,
              values[name],
            ]);
        }
        for (const alarm of judgeSources(perSource, deps.policy)) {
          const flag = `${encodeURIComponent(alarm.source)}|${alarm.basis}|alarmed`;
          if (alarmed.get(modelId)?.has(flag)) continue;
          alarmed.get(modelId)?.add(flag);
          commands.push(["HSET", countsKey(modelId), flag, 1]);
          findings.push(poisoningFinding(modelId, tenant, alarm, batchTime(records)));
        }
      }
      await deps.publish(untraced(findings));
      return commands;
    });
  };
}

export function confidentKey(
  key: (...parts: string[]) => string,
  modelId: string,
  requestId: string,
): string {
  return key("confident", `{${modelId}}`, requestId);
}

function firstLabelKey(key: (...parts: string[]) => string, modelId: string, requestId: string): string {
  return key("first-label", `{${modelId}}`, requestId);
}

function parseCounts(hash: Record<string, string>): Record<string, SourceCounts> {
  const out: Record<string, SourceCounts> = {};
  for (const [field, value] of Object.entries(hash)) {
    const [encoded, name] = field.split("|");
    if (!encoded || !name || !(counterNames as readonly string[]).includes(name)) continue;
    const source = decodeURIComponent(encoded);
    out[source] ??= { confident: 0, confidentDisagree: 0, cross: 0, crossDisagree: 0 };
    out[source][name as (typeof counterNames)[number]] = Number(value);
  }
  return out;
}

function batchTime(records: { value: FeedbackEvent }[]): Date {
  const last = records[records.length - 1]?.value.eventTime;
  return last ?? new Date(0);
}
