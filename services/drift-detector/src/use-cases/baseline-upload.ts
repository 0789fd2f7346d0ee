import { BaselineSource, type BaselineSpec, type SetBaselineRequest } from "@argus/proto";
import { modelIdProblem } from "@argus/runtime";
import { createReferenceParser, type ReferenceParser, rowFromProto } from "../adapters/reference-parser.js";
import { BaselineBuilder, ReferenceDataError, type ReferenceRowInput } from "../domain/baseline-profile.js";
import { InvalidBaselineRequest } from "../domain/baseline-request.js";

/** One message of a SetBaseline stream: the spec first, then CSV/JSON Lines chunks or protobuf rows. */
export type BaselinePart = SetBaselineRequest["part"];

/** Reference data above this size is refused as it arrives. */
export const maxUploadBytes = 4 * 1024 * 1024 * 1024;

/** A SetBaseline upload as received: the spec, and its rows folded into a builder as they came. */
export interface ReceivedUpload {
  spec: BaselineSpec;
  rows: BaselineBuilder;
}

/**
 * Reads an upload: checks the spec and hands it to `accept` before any data is read (a refused
 * spec stops the upload), then folds every row into a builder, so memory holds one chunk's rows.
 * A malformed stream or row is an InvalidBaselineRequest naming what is wrong.
 */
export async function receiveUpload(
  parts: AsyncIterable<BaselinePart>,
  pcaComponentsOf: (modelId: string) => number,
  accept: (spec: BaselineSpec) => Promise<void>,
): Promise<ReceivedUpload> {
  let upload: ReceivedUpload | undefined;
  let parser: ReferenceParser | undefined;
  let bytes = 0;
  const add = (upload: ReceivedUpload, rows: ReferenceRowInput[]) => {
    for (const row of rows) upload.rows.addRow(row);
  };
  try {
    for await (const part of parts) {
      if (!part) throw new InvalidBaselineRequest("each message must set spec, chunk or row");
      if (part.$case === "spec") {
        if (upload) throw new InvalidBaselineRequest("spec must be sent once, in the first message");
        const spec = part.value;
        const problem = modelIdProblem(spec.modelId, "spec.model_id");
        if (problem) throw new InvalidBaselineRequest(problem);
        await accept(spec);
        upload = {
          spec,
          rows: new BaselineBuilder(
            spec.modelId,
            new Set(spec.categoricalColumns),
            pcaComponentsOf(spec.modelId),
          ),
        };
        parser = readsChunks(spec.source)
          ? createReferenceParser(spec.source, {
              predictionColumn: spec.predictionColumn,
              scorePrefix: spec.scoreColumnPrefix,
              categorical: new Set(spec.categoricalColumns),
              ignored: new Set(spec.ignoredColumns),
            })
          : undefined;
        continue;
      }
      if (!upload) throw new InvalidBaselineRequest("the first message must be the spec");
      if (part.$case === "chunk") {
        if (!parser) throw new InvalidBaselineRequest("chunk is only valid for CSV and JSON_LINES sources");
        bytes += part.value.length;
        if (bytes > maxUploadBytes)
          throw new InvalidBaselineRequest(`upload exceeds ${maxUploadBytes} bytes`);
        add(upload, await parser.push(Buffer.from(part.value)));
      } else {
        if (upload.spec.source !== BaselineSource.BASELINE_SOURCE_PROTO_ROWS)
          throw new InvalidBaselineRequest("row is only valid for PROTO_ROWS");
        add(upload, [rowFromProto(part.value)]);
      }
    }
    if (!upload) throw new InvalidBaselineRequest("the stream ended without a spec");
    if (parser) add(upload, await parser.end());
    return upload;
  } catch (error) {
    throw malformedData(error) ? new InvalidBaselineRequest(error.message) : error;
  }
}

function readsChunks(source: BaselineSource): boolean {
  return (
    source === BaselineSource.BASELINE_SOURCE_CSV || source === BaselineSource.BASELINE_SOURCE_JSON_LINES
  );
}

/** A row that contradicts the reference's schema, or text the CSV/JSON Lines parser could not read. */
function malformedData(error: unknown): error is Error {
  return (
    error instanceof ReferenceDataError || (error instanceof Error && /^(CSV|JSON Lines)/.test(error.message))
  );
}
