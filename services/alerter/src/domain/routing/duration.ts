/**
 * Prometheus duration syntax, as Alertmanager configs use it: one or more `<integer><unit>` with units
 * y, w, d, h, m, s, ms, each at most once and largest first (`1h30m`); a bare "0" is allowed.
 * Years are 365 days and days 24 hours, as in Prometheus: no calendar or DST arithmetic.
 */
const unitMs = [
  ["y", 365 * 24 * 3_600_000],
  ["w", 7 * 24 * 3_600_000],
  ["d", 24 * 3_600_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
  ["ms", 1],
] as const;

const durationSyntax = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const anyUnits = /^(?:\d+(?:y|w|d|h|ms|m|s))+$/;

/** Milliseconds of a Prometheus duration; throws an Error saying what is wrong with `text`. */
export function parseDuration(text: string): number {
  if (text === "0") return 0;
  const parts = text === "" ? null : durationSyntax.exec(text);
  if (!parts) throw new Error(`must be a duration like 30s, got ${JSON.stringify(text)}${hintFor(text)}`);
  let total = 0;
  unitMs.forEach(([, ms], index) => {
    const amount = parts[index + 1];
    if (amount !== undefined) total += Number(amount) * ms;
  });
  if (!Number.isSafeInteger(total)) throw new Error(`duration ${JSON.stringify(text)} is too long`);
  return total;
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
