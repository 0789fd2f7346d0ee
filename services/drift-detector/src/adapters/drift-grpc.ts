import {
  BaselineSource,
  type DriftReport,
  DriftServiceService,
  type GetDriftReportRequest,
  type GetDriftReportResponse,
  type GetFeatureHistoryRequest,
  type GetFeatureHistoryResponse,
  type ListModelsRequest,
  type ListModelsResponse,
  type ListWindowsRequest,
  type ListWindowsResponse,
  ReportStatus,
  type SetBaselineRequest,
  type SetBaselineResponse,
} from "@argus/proto";
import {
  type AuditLog,
  type GrpcServiceRegistration,
  grpcError,
  invalidArgument,
  principalOf,
  respondUnary,
} from "@argus/runtime";
import {
  type handleClientStreamingCall,
  type handleUnaryCall,
  type ServerErrorResponse,
  status,
} from "@grpc/grpc-js";
import { BaselineBuilder, profileHash, ReferenceDataError } from "../domain/baseline-profile.js";
import type { StoredBaseline } from "../domain/baseline-record.js";
import type { DriftConfigs } from "../domain/drift-config.js";
import { profileFromWindow } from "../domain/frozen-window.js";
import { parseWindowState } from "../domain/window-state.js";
import type { BaselineStore } from "./baseline-store.js";
import { createReferenceParser, rowFromProto } from "./reference-parser.js";
import type { ReportStore } from "./report-store.js";
import type { WindowStore } from "./window-store.js";

/** Who may call what: reading drift is for viewers, changing the baseline for operators. */
export const driftServiceRoles = {
  setBaseline: "operator",
  getDriftReport: "viewer",
  listWindows: "viewer",
  getFeatureHistory: "viewer",
  listModels: "viewer",
} as const;

const modelIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;
const maxUploadBytes = 4 * 1024 * 1024 * 1024;
const maxRangeItems = 1000;

interface Deps {
  windows: WindowStore;
  reports: ReportStore;
  baselines: BaselineStore;
  configs: DriftConfigs;
  clock: () => Date;
  audit: AuditLog;
}

export function driftServiceRegistration(deps: Deps): GrpcServiceRegistration {
  const { windows, reports, baselines } = deps;

  /** Whether the caller's tenant owns the model (other tenants must not learn that it exists). */
  const ownerOf = async (modelId: string): Promise<string | undefined> =>
    (await windows.models()).get(modelId) ?? (await baselines.current(modelId))?.tenant;
  const visibleModel = async (call: object, modelId: string): Promise<boolean> => {
    const tenant = await ownerOf(modelId);
    return tenant !== undefined && tenant === principalOf(call).tenant;
  };

  const getDriftReport: handleUnaryCall<GetDriftReportRequest, GetDriftReportResponse> = (call, callback) => {
    respondUnary(callback, "drift store", async () => {
      const { modelId, windowStart } = call.request;
      checkModelId(modelId);
      if (!(await visibleModel(call, modelId))) throw notFound(`model "${modelId}" has no drift data`);
      const start = windowStart ? windowStart.getTime() : await reports.latestStart(modelId);
      if (start === undefined) throw notFound(`model "${modelId}" has no evaluated window yet`);
      const report = await reports.get(modelId, start);
      if (!report) throw notFound(`no report for model "${modelId}" window ${new Date(start).toISOString()}`);
      return { report };
    });
  };

  const listWindows: handleUnaryCall<ListWindowsRequest, ListWindowsResponse> = (call, callback) => {
    respondUnary(callback, "drift store", async () => {
      const { modelId, pageSize } = call.request;
      checkModelId(modelId);
      if (pageSize < 0 || pageSize > maxRangeItems)
        throw invalidArgument(`page_size must be between 0 and ${maxRangeItems}`);
      const [from, to] = range(call.request.from, call.request.to);
      if (!(await visibleModel(call, modelId))) return { windows: [] };
      const found = await reports.range(modelId, from, to, pageSize || 100);
      return { windows: found.map(summary) };
    });
  };

  const getFeatureHistory: handleUnaryCall<GetFeatureHistoryRequest, GetFeatureHistoryResponse> = (
    call,
    callback,
  ) => {
    respondUnary(callback, "drift store", async () => {
      const { modelId, feature } = call.request;
      checkModelId(modelId);
      if (!feature) throw invalidArgument("feature must be set");
      const [from, to] = range(call.request.from, call.request.to);
      if (!(await visibleModel(call, modelId))) return { points: [] };
      const found = await reports.range(modelId, from, to, maxRangeItems);
      const points = found.flatMap((report) => {
        const drift = [...report.features, report.prediction, report.confidence].find(
          (f) => f?.feature === feature,
        );
        return drift
          ? [
              {
                windowStart: report.windowStart,
                test: drift.test,
                statistic: drift.statistic,
                pValue: drift.pValue,
                psi: drift.psi,
                drifted: drift.drifted,
                count: drift.count,
              },
            ]
          : [];
      });
      return { points: points.reverse() };
    });
  };

  const listModels: handleUnaryCall<ListModelsRequest, ListModelsResponse> = (call, callback) => {
    respondUnary(callback, "drift store", async () => {
      const caller = principalOf(call).tenant;
      const models = [...(await windows.models())]
        .filter(([, tenant]) => tenant === caller)
        .map(([modelId]) => modelId);
      const current = await baselines.currentFor(models);
      const summaries = await Promise.all(
        models.map(async (modelId) => {
          const latest = await reports.latestStart(modelId);
          const report = latest === undefined ? undefined : await reports.get(modelId, latest);
          return {
            modelId,
            baselineVersion: current.get(modelId)?.version ?? 0,
            latestWindowStart: latest === undefined ? undefined : new Date(latest),
            latestStatus: report?.status ?? ReportStatus.REPORT_STATUS_UNSPECIFIED,
          };
        }),
      );
      return { models: summaries };
    });
  };

  const setBaseline: handleClientStreamingCall<SetBaselineRequest, SetBaselineResponse> = (
    call,
    callback,
  ) => {
    respondUnary(callback, "drift store", async () => {
      const principal = principalOf(call);
      let spec: Extract<SetBaselineRequest["part"], { $case: "spec" }>["value"] | undefined;
      let builder: BaselineBuilder | undefined;
      let parser: ReturnType<typeof createReferenceParser> | undefined;
      let bytes = 0;
      const add = (rows: Parameters<BaselineBuilder["addRow"]>[0][]) => {
        for (const row of rows) (builder as BaselineBuilder).addRow(row);
      };
      try {
        for await (const message of call as AsyncIterable<SetBaselineRequest>) {
          const part = message.part;
          if (!part) throw invalidArgument("each message must set spec, chunk or row");
          if (part.$case === "spec") {
            if (spec) throw invalidArgument("spec must be sent once, in the first message");
            spec = part.value;
            checkModelId(spec.modelId);
            // Another tenant's model is "not found": its baseline can be neither replaced nor copied.
            const owner = await ownerOf(spec.modelId);
            if (owner !== undefined && owner !== principal.tenant)
              throw notFound(`model "${spec.modelId}" has no drift data`);
            if (
              spec.source === BaselineSource.BASELINE_SOURCE_UNSPECIFIED ||
              spec.source === BaselineSource.UNRECOGNIZED
            ) {
              throw invalidArgument("spec.source must be CSV, JSON_LINES, PROTO_ROWS or FROZEN_WINDOW");
            }
            const config = deps.configs.forModel(spec.modelId);
            builder = new BaselineBuilder(
              spec.modelId,
              new Set(spec.categoricalColumns),
              config.pcaComponents,
            );
            if (
              spec.source === BaselineSource.BASELINE_SOURCE_CSV ||
              spec.source === BaselineSource.BASELINE_SOURCE_JSON_LINES
            ) {
              parser = createReferenceParser(spec.source, {
                predictionColumn: spec.predictionColumn,
                scorePrefix: spec.scoreColumnPrefix,
                categorical: new Set(spec.categoricalColumns),
                ignored: new Set(spec.ignoredColumns),
              });
            }
            continue;
          }
          if (!spec) throw invalidArgument("the first message must be the spec");
          if (part.$case === "chunk") {
            if (!parser) throw invalidArgument("chunk is only valid for CSV and JSON_LINES sources");
            bytes += part.value.length;
            if (bytes > maxUploadBytes) throw invalidArgument(`upload exceeds ${maxUploadBytes} bytes`);
            add(await parser.push(Buffer.from(part.value)));
          } else {
            if (spec.source !== BaselineSource.BASELINE_SOURCE_PROTO_ROWS)
              throw invalidArgument("row is only valid for PROTO_ROWS");
            add([rowFromProto(part.value)]);
          }
        }
        if (!spec || !builder) throw invalidArgument("the stream ended without a spec");
        if (parser) add(await parser.end());
      } catch (error) {
        if (
          error instanceof ReferenceDataError ||
          (error instanceof Error && /^(CSV|JSON Lines)/.test(error.message))
        ) {
          throw invalidArgument(error.message);
        }
        throw error;
      }
      let profile: StoredBaseline["profile"];
      if (spec.source === BaselineSource.BASELINE_SOURCE_FROZEN_WINDOW) {
        if (!spec.windowStart) throw invalidArgument("spec.window_start is required for FROZEN_WINDOW");
        const hash = await windows.readWindow(spec.modelId, spec.windowStart.getTime());
        const state = parseWindowState(hash);
        if (state.events === 0)
          throw notFound(`model "${spec.modelId}" has no data in window ${spec.windowStart.toISOString()}`);
        profile = profileFromWindow(spec.modelId, state);
      } else {
        try {
          profile = builder.build();
        } catch (error) {
          throw invalidArgument((error as Error).message);
        }
      }
      const stored = await baselines.save({
        modelId: spec.modelId,
        contentHash: profileHash(profile),
        source: spec.source,
        tenant: principal.tenant,
        setBy: principal.id,
        setAt: deps.clock().toISOString(),
        description: spec.description,
        profile,
      });
      await deps.audit.append({
        actor: principal.id,
        tenant: principal.tenant,
        action: "drift.set_baseline",
        target: stored.modelId,
        detail: {
          version: String(stored.version),
          content_hash: stored.contentHash,
          source: String(stored.source),
          description: stored.description,
        },
      });
      return {
        baseline: {
          modelId: stored.modelId,
          version: stored.version,
          contentHash: stored.contentHash,
          source: stored.source,
          setBy: stored.setBy,
          setAt: new Date(stored.setAt),
          rowCount: profile.rowCount,
          features: Object.keys(profile.features),
          description: stored.description,
        },
      };
    });
  };

  return {
    name: "argus.v1.DriftService",
    definition: DriftServiceService,
    implementation: { setBaseline, getDriftReport, listWindows, getFeatureHistory, listModels },
    methodRoles: driftServiceRoles,
  };
}

function summary(report: DriftReport) {
  return {
    windowStart: report.windowStart,
    windowEnd: report.windowEnd,
    status: report.status,
    eventCount: report.eventCount,
    lateEventCount: report.lateEventCount,
    driftedFeatureShare: report.driftedFeatureShare,
    driftedFeatures: report.features.filter((feature) => feature.drifted).map((feature) => feature.feature),
    baselineVersion: report.baselineVersion,
  };
}

function checkModelId(modelId: string): void {
  if (!modelIdPattern.test(modelId)) {
    throw invalidArgument(
      `model_id must be 1-128 characters of letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(modelId.slice(0, 40))}`,
    );
  }
}

function range(from: Date | undefined, to: Date | undefined): [number, number] {
  const start = from ? from.getTime() : 0;
  const end = to ? to.getTime() : Number.MAX_SAFE_INTEGER;
  if (start > end) throw invalidArgument("from must not be after to");
  return [start, end];
}

function notFound(message: string): ServerErrorResponse {
  return grpcError(status.NOT_FOUND, message);
}
