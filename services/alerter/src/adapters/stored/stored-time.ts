/**
 * An ISO time as stored: its milliseconds (13 digits instead of a 26-character string) when that
 * turns back into the same text, else the text itself. Times the alerter makes are `toISOString`
 * output, so they always shorten; anything else is kept exactly.
 */
export function storedTime(iso: string): number | string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && new Date(ms).toISOString() === iso ? ms : iso;
}

/** The ISO text of a stored time (see storedTime). */
export function timeOfStored(stored: number | string): string {
  return typeof stored === "number" ? new Date(stored).toISOString() : stored;
}
