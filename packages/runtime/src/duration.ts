import parse from "parse-duration";
import { z } from "zod";

/**
 * The one duration grammar of every Argus configuration (environment, routing file, drift file):
 * Prometheus's, which Alertmanager users already write — one or more `<integer><unit>` with units
 * y, w, d, h, m, s, ms, each at most once and largest first (`1h30m`, `1d`, `500ms`); a bare "0"
 * is allowed; a year is 365 days and a day 24 hours, no calendar. parse-duration does the
 * arithmetic; this shape check comes first because that library reads anything ("1 hr", "1.5h",
 * "-5m", "running: 1hour") and a typo in an alert timer must stop the service at start, not become
 * another duration.
 */
const durationShape = /^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m(?!s))?(?:\d+s)?(?:\d+ms)?$/;
const anyUnits = /^(?:\d+(?:y|w|d|h|ms|m|s))+$/;
const yearMs = 365 * 24 * 3_600_000;

/** Milliseconds of a duration; throws an Error saying what is wrong with `text`. */
export function parseDuration(text: string): number {
  if (text === "0") return 0;
  if (text === "" || !durationShape.test(text))
    throw new Error(`must be a duration like 30s, got ${JSON.stringify(text)}${hintFor(text)}`);
  // Years are Prometheus's 365 days; parse-duration's are 365.25, so they are counted here.
  const [, years, rest] = /^(?:(\d+)y)?(.*)$/.exec(text) as RegExpExecArray;
  const ms = Number(years ?? 0) * yearMs + (rest === "" ? 0 : (parse(rest) ?? Number.NaN));
  if (ms === null || !Number.isSafeInteger(ms))
    throw new Error(`duration ${JSON.stringify(text)} is too long`);
  return ms;
}

/**
 * A zod schema of a duration in milliseconds, written as a duration string (or, with `numbers`, a
 * whole number of milliseconds too, as YAML files have allowed); `positive` refuses 0.
 */
export function durationMs(options: { positive?: boolean; numbers?: boolean } = {}) {
  const input = options.numbers ? z.union([z.number(), z.string()]) : z.string();
  return input
    .transform((value, context) => {
      if (typeof value === "number") {
        if (Number.isSafeInteger(value) && value >= 0) return value;
        context.addIssue({ code: "custom", message: "must be a whole number of milliseconds, 0 or more" });
        return z.NEVER;
      }
      try {
        return parseDuration(value);
      } catch (error) {
        context.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    })
    .refine((ms) => !options.positive || ms > 0, "must be longer than 0");
}

/** A zod schema of a duration kept as written (e.g. handed on to a routing file), checked now. */
export function durationText() {
  return z.string().superRefine((value, context) => {
    try {
      parseDuration(value);
    } catch (error) {
      context.addIssue({ code: "custom", message: (error as Error).message });
    }
  });
}

/** Why `text` was refused, for the mistakes people make most. */
function hintFor(text: string): string {
  if (text.trim() === "") return " (durations cannot be empty)";
  if (/^-/.test(text)) return " (durations cannot be negative)";
  if (/^\d+$/.test(text)) return " (a unit is required: y, w, d, h, m, s or ms)";
  if (/\d[.,]\d/.test(text)) return " (fractions are not allowed: write 1h30m, not 1.5h)";
  if (anyUnits.test(text)) return " (each unit at most once, largest first: 1h30m, not 30m1h)";
  return " (integers with units y, w, d, h, m, s or ms, without spaces, e.g. 500ms, 5m, 1h30m, 1d)";
}
