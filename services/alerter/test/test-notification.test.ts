import { describe, expect, it } from "vitest";
import { testAlert, testResult, testSummary } from "../src/domain/test-notification.js";
import { alerterNow } from "./fixtures.js";

describe("a test notification", () => {
  it("speaks of a firing alert of the caller's tenant", () => {
    expect(testAlert("acme", alerterNow)).toMatchObject({ tenant: "acme", state: "firing" });
  });

  it("counts only a 2xx as delivered and says why anything else was not", () => {
    expect(testResult("pager/webhook[0]", { kind: "response", status: 204 })).toEqual({
      integration: "pager/webhook[0]",
      delivered: true,
      httpStatus: 204,
      error: "",
    });
    expect(testResult("pager/webhook[0]", { kind: "response", status: 410 })).toMatchObject({
      delivered: false,
      httpStatus: 410,
      error: "HTTP 410",
    });
    expect(testResult("pager/webhook[1]", { kind: "network-error", message: "ECONNREFUSED" })).toMatchObject({
      delivered: false,
      httpStatus: 0,
      error: "ECONNREFUSED",
    });
    expect(testResult("pager/webhook[2]", { kind: "refused", message: "not allowed" })).toMatchObject({
      delivered: false,
      error: "not allowed",
    });
  });

  it("is audited integration by integration", () => {
    const results = [
      testResult("pager/webhook[0]", { kind: "response", status: 200 }),
      testResult("pager/webhook[1]", { kind: "response", status: 500 }),
    ];
    expect(testSummary(results)).toBe("pager/webhook[0]=delivered; pager/webhook[1]=HTTP 500");
  });
});
