import {
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
  callerScope,
  type GrpcServiceRegistration,
  grpcError,
  invalidArgument,
  ownedByCaller,
  requireModelId,
  respondUnary,
} from "@argus/runtime";
import {
  type handleClientStreamingCall,
  type handleUnaryCall,
  type ServerErrorResponse,
  status,
} from "@grpc/grpc-js";
import { BaselineTargetNotFound, InvalidBaselineRequest } from "../domain/baseline-request.js";
import type { DriftConfigs } from "../domain/drift-config.js";
import type { BaselinePart } from "../use-cases/baseline-upload.js";
import { setBaseline as setBaselineUseCase } from "../use-cases/set-baseline.js";
import type { BaselineStore } from "./baseline-store.js";
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

  /** The tenant that owns the model: its windows' or its baseline's (undefined: no such model). */
  const ownerOf = async (modelId: string): Promise<string | undefined> =>
    (await windows.models()).get(modelId) ?? (await baselines.current(modelId))?.tenant;
  /** Whether the caller's tenant owns the model (other tenants must not learn that it exists). */
  const visibleModel = async (call: object, modelId: string): Promise<boolean> =>
    ownedByCaller(callerScope(call), await ownerOf(modelId));

  const getDriftReport: handleUnaryCall<GetDriftReportRequest, GetDriftReportResponse> = (call, callback) => {
    respondUnary(callback, "drift store", async () => {
      const { windowStart } = call.request;
      const modelId = requireModelId(call.request.modelId);
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
      const { pageSize } = call.request;
      const modelId = requireModelId(call.request.modelId);
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
      const { feature } = call.request;
      const modelId = requireModelId(call.request.modelId);
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
      const scope = callerScope(call);
      const models = [...(await windows.models())]
        .filter(([, tenant]) => ownedByCaller(scope, tenant))
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
      const { stored, rowCount, features } = await setBaselineUseCase(
        { ...deps, ownerOf },
        callerScope(call),
        partsOf(call),
      ).catch((error: unknown) => {
        throw statusOf(error);
      });
      return {
        baseline: {
          modelId: stored.modelId,
          version: stored.version,
          contentHash: stored.contentHash,
          source: stored.source,
          setBy: stored.setBy,
          setAt: new Date(stored.setAt),
          rowCount,
          features,
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

function range(from: Date | undefined, to: Date | undefined): [number, number] {
  const start = from ? from.getTime() : 0;
  const end = to ? to.getTime() : Number.MAX_SAFE_INTEGER;
  if (start > end) throw invalidArgument("from must not be after to");
  return [start, end];
}

function notFound(message: string): ServerErrorResponse {
  return grpcError(status.NOT_FOUND, message);
}

/** The stream's messages as the use case reads them. */
async function* partsOf(call: AsyncIterable<SetBaselineRequest>): AsyncIterable<BaselinePart> {
  for await (const message of call) yield message.part;
}

/** The gRPC status of a use case's domain error; other errors (a store that failed) pass as they are. */
function statusOf(error: unknown): unknown {
  if (error instanceof InvalidBaselineRequest) return invalidArgument(error.message);
  if (error instanceof BaselineTargetNotFound) return notFound(error.message);
  return error;
}
