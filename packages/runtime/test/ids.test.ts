import { randomUUID } from "node:crypto";
import {
  clientIdProblem,
  FeedbackEvent,
  InferenceEvent,
  MODEL_ID_MAX_CHARS,
  modelIdProblem,
  tenantProblem,
} from "@argus/proto";
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  decodeFeedbackEvent,
  decodeInferenceEvent,
  decodeInferenceEventAsColumns,
} from "../src/contracts.js";
import {
  type CallerScope,
  ownedByCaller,
  requireClientId,
  requireModelId,
  requireOptionalClientId,
  requireOptionalModelId,
  visibleToCaller,
} from "../src/grpc-scope.js";

// Model ids as producers name them: registries, versions, regions, paths, other alphabets.
const producerModelIds = [
  "credit",
  "org/model",
  "fraud-v2@eu",
  "credit:v3",
  "projects/acme/models/churn#7",
  "Kreditwürdigkeit v2",
  "模型-1",
  "a",
  "x".repeat(MODEL_ID_MAX_CHARS),
  "🦊".repeat(MODEL_ID_MAX_CHARS),
];

function inferenceEvent(fields: Partial<InferenceEvent>): Buffer {
  return Buffer.from(
    InferenceEvent.encode(
      InferenceEvent.fromPartial({
        eventId: randomUUID(),
        modelId: "credit",
        eventTime: new Date(),
        ...fields,
      }),
    ).finish(),
  );
}

function feedbackEvent(fields: Partial<FeedbackEvent>): Buffer {
  return Buffer.from(
    FeedbackEvent.encode(
      FeedbackEvent.fromPartial({
        feedbackId: "f-1",
        modelId: "credit",
        source: "vendor",
        target: { $case: "trainingRecord", value: { recordId: "r-1", label: "yes" } },
        ...fields,
      }),
    ).finish(),
  );
}

function grpcErrorOf(check: () => unknown): { code?: number; details?: string } {
  try {
    check();
  } catch (error) {
    return error as { code?: number; details?: string };
  }
  throw new Error("the check passed");
}

describe("model ids: one rule for Kafka and gRPC", () => {
  it.each(producerModelIds)("accepts %j from Kafka and in a gRPC request alike", (modelId) => {
    expect(decodeInferenceEvent(inferenceEvent({ modelId })).ok).toBe(true);
    expect(decodeInferenceEventAsColumns(inferenceEvent({ modelId })).ok).toBe(true);
    expect(decodeFeedbackEvent(feedbackEvent({ modelId })).ok).toBe(true);
    expect(requireModelId(modelId)).toBe(modelId);
  });

  it("rejects an empty or over-long model id on both paths, the reason naming the field", () => {
    for (const modelId of ["", "m".repeat(MODEL_ID_MAX_CHARS + 1), "🦊".repeat(MODEL_ID_MAX_CHARS + 1)]) {
      const decoded = decodeInferenceEvent(inferenceEvent({ modelId }));
      expect(decoded.ok).toBe(false);
      expect(decoded.ok ? "" : decoded.reason).toMatch(/^model_id .*1-256 characters/);
      const feedback = decodeFeedbackEvent(feedbackEvent({ modelId }));
      expect(feedback.ok ? "" : feedback.reason).toMatch(/^model_id .*1-256 characters/);
      const error = grpcErrorOf(() => requireModelId(modelId, "spec.model_id"));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toMatch(/^spec\.model_id .*1-256 characters/);
    }
  });

  it("quotes the start of an over-long id, not all of it", () => {
    const problem = modelIdProblem(`${"abc".repeat(30)}${"z".repeat(1_000)}`) ?? "";
    expect(problem).toBe(
      `model_id must be 1-256 characters, got more than 256, starting ${JSON.stringify("abc".repeat(14).slice(0, 40))}`,
    );
    expect(problem.length).toBeLessThan(150);
  });

  it("takes an empty model id in a filter as 'every model'", () => {
    expect(requireOptionalModelId("")).toBe("");
    expect(grpcErrorOf(() => requireOptionalModelId("m".repeat(257))).code).toBe(status.INVALID_ARGUMENT);
  });
});

describe("client ids and tenants", () => {
  it("takes an event without a client or tenant from Kafka, and bounds both", () => {
    expect(decodeInferenceEvent(inferenceEvent({ clientId: "", tenant: "" })).ok).toBe(true);
    const longClient = decodeInferenceEvent(inferenceEvent({ clientId: "c".repeat(257) }));
    expect(longClient.ok ? "" : longClient.reason).toMatch(/^client_id must be at most 256 characters/);
    const longTenant = decodeInferenceEventAsColumns(inferenceEvent({ tenant: "t".repeat(129) }));
    expect(longTenant.ok ? "" : longTenant.reason).toMatch(/^tenant must be at most 128 characters/);
    expect(tenantProblem("acme")).toBeUndefined();
  });

  it("requires a client id where a request names one, and bounds it where it may be empty", () => {
    expect(clientIdProblem("")).toBe("client_id is empty; it must be 1-256 characters");
    expect(requireClientId("c".repeat(256))).toHaveLength(256);
    expect(grpcErrorOf(() => requireClientId("")).details).toContain("client_id is empty");
    expect(requireOptionalClientId("", "event.client_id")).toBe("");
    expect(grpcErrorOf(() => requireOptionalClientId("c".repeat(257), "event.client_id")).details).toMatch(
      /^event\.client_id must be at most 256 characters/,
    );
  });
});

describe("tenant scope", () => {
  const acme: CallerScope = { tenant: "acme", principal: "alice" };

  it("shows a record of the caller's tenant and hides another tenant's as if it did not exist", () => {
    const own = { tenant: "acme", id: 1 };
    expect(visibleToCaller(acme, own)).toBe(own);
    expect(visibleToCaller(acme, { tenant: "globex", id: 2 })).toBeUndefined();
    expect(visibleToCaller(acme, undefined)).toBeUndefined();
    expect(ownedByCaller(acme, "acme")).toBe(true);
    expect(ownedByCaller(acme, "globex")).toBe(false);
    expect(ownedByCaller(acme, undefined)).toBe(false);
  });
});
