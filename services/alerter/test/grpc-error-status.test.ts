import { invalidArgument, SealedValueError } from "@argus/runtime";
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { grpcErrorOf, isFault } from "../src/adapters/grpc-error-status.js";
import {
  Conflict,
  FailedPrecondition,
  InvalidArgument,
  NotFound,
  PermissionDenied,
  Unavailable,
} from "../src/domain/errors.js";

describe("how AlertService answers a failed call", () => {
  it.each([
    [new NotFound("no alert with fingerprint fp-1"), status.NOT_FOUND],
    [new InvalidArgument("note must be at most 1000 characters"), status.INVALID_ARGUMENT],
    [new FailedPrecondition("only a firing alert can be acknowledged"), status.FAILED_PRECONDITION],
    [new Conflict("notification msg_1 changed meanwhile; try again"), status.ABORTED],
    [new PermissionDenied("not yours"), status.PERMISSION_DENIED],
    [new Unavailable("busy; erasure not finished, try again"), status.UNAVAILABLE],
  ])("answers %s with its status and its message", (error, code) => {
    expect(grpcErrorOf(error, "alert store")).toMatchObject({ code, details: error.message });
    expect(isFault(error)).toBe(false);
  });

  it("answers evidence that does not open as DATA_LOSS, saying so (the message names no key or record)", () => {
    const moved = new SealedValueError(
      'sealed value does not open with key "k1": it belongs to another record',
    );
    const answer = grpcErrorOf(moved, "alert store");
    expect(answer.code).toBe(status.DATA_LOSS);
    expect(answer.details).toMatch(/does not open/);
    expect(isFault(moved)).toBe(true);
  });

  it("answers a store that does not answer as UNAVAILABLE (retryable), without its message", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.7:6379"), { code: "ECONNREFUSED" });
    const answer = grpcErrorOf(refused, "alert store");
    expect(answer.code).toBe(status.UNAVAILABLE);
    expect(answer.details).toBe("alert store unavailable; try again");
    expect(isFault(refused)).toBe(true);
  });

  it("answers anything else as INTERNAL, without leaking what went wrong inside", () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'argus:alerter:alert:fp-1')");
    const answer = grpcErrorOf(bug, "alert store");
    expect(answer.code).toBe(status.INTERNAL);
    expect(answer.details).not.toContain("argus:alerter");
    expect(answer.message).not.toContain("argus:alerter");
    expect(isFault(bug)).toBe(true);
    expect(grpcErrorOf("thrown as a string", "alert store").code).toBe(status.INTERNAL);
  });

  it("passes a status raised by the runtime's request checks as it is", () => {
    const answer = grpcErrorOf(invalidArgument("client_id: at most 256 characters"), "alert store");
    expect(answer).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: "client_id: at most 256 characters",
    });
    expect(isFault(answer)).toBe(false);
  });
});
