import type { Route } from "./route.js";

/**
 * Alertmanager's time intervals: a moment is inside an interval when every field that is given
 * matches it (an empty list does not restrict), read as wall-clock time in the interval's location.
 * A named interval is a list of these and contains the moments any of them contains.
 */
export interface TimeInterval {
  /** Minutes of the day, each range [start, end). */
  times: MinuteRange[];
  /** Inclusive, 0 = Sunday ... 6 = Saturday (ranges cannot wrap past Saturday). */
  weekdays: InclusiveRange[];
  /** Inclusive days 1..31; negative ones count from the month's end, -1 being its last day. */
  daysOfMonth: InclusiveRange[];
  /** Inclusive, 1 = January. */
  months: InclusiveRange[];
  years: InclusiveRange[];
  /** IANA time zone, e.g. "Europe/Berlin". */
  location: string;
}

export interface MinuteRange {
  startMinute: number;
  endMinute: number;
}

export interface InclusiveRange {
  begin: number;
  end: number;
}

export function timeIntervalContains(interval: TimeInterval, at: Date): boolean {
  const local = wallClock(at, interval.location);
  const daysInMonth = new Date(Date.UTC(local.year, local.month, 0)).getUTCDate();
  const dayOfMonth = (day: number) => (day < 0 ? daysInMonth + day + 1 : day);
  return (
    within(interval.times, (r) => local.minuteOfDay >= r.startMinute && local.minuteOfDay < r.endMinute) &&
    within(interval.weekdays, (r) => local.weekday >= r.begin && local.weekday <= r.end) &&
    within(interval.daysOfMonth, (r) => local.day >= dayOfMonth(r.begin) && local.day <= dayOfMonth(r.end)) &&
    within(interval.months, (r) => local.month >= r.begin && local.month <= r.end) &&
    within(interval.years, (r) => local.year >= r.begin && local.year <= r.end)
  );
}

/**
 * Whether a route's notifications are held back at `at`: inside any of its mute intervals, or it has
 * active intervals and `at` is in none of them. A name missing from `intervals` contains nothing
 * (config validation rejects such names, so this only matters for hand-built routes).
 */
export function isRouteMuted(
  route: Pick<Route, "muteTimeIntervals" | "activeTimeIntervals">,
  intervals: ReadonlyMap<string, readonly TimeInterval[]>,
  at: Date,
): boolean {
  const contains = (name: string) => (intervals.get(name) ?? []).some((i) => timeIntervalContains(i, at));
  if (route.muteTimeIntervals.some(contains)) return true;
  return route.activeTimeIntervals.length > 0 && !route.activeTimeIntervals.some(contains);
}

function within<T>(ranges: readonly T[], contains: (range: T) => boolean): boolean {
  return ranges.length === 0 || ranges.some(contains);
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minuteOfDay: number;
}

// Building a DateTimeFormat costs far more than formatting with one, and routing asks per alert.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(location: string): Intl.DateTimeFormat {
  let formatter = formatters.get(location);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: location,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
    formatters.set(location, formatter);
  }
  return formatter;
}

function wallClock(at: Date, location: string): WallClock {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(location).formatToParts(at)) {
    if (part.type !== "literal") fields[part.type] = Number(part.value);
  }
  const { year = 0, month = 0, day = 0, hour = 0, minute = 0 } = fields;
  // The weekday of a calendar date does not depend on the zone, so UTC arithmetic gives it exactly.
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return { year, month, day, weekday, minuteOfDay: hour * 60 + minute };
}

// ---- Parsing the configuration's text forms; errors say what is wrong, callers add where. ----

const timeOfDay = /^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$/;

/** `start_time` / `end_time` as "HH:MM" (end may be "24:00"); start must come before end. */
export function parseTimeRange(startTime: string, endTime: string): MinuteRange {
  const startMinute = minuteOfDay("start_time", startTime);
  const endMinute = minuteOfDay("end_time", endTime);
  if (startMinute >= endMinute) {
    throw new Error(
      `start_time ${startTime} must be before end_time ${endTime} (a range cannot wrap past midnight: ` +
        "split it into two, e.g. 22:00-24:00 and 00:00-06:00)",
    );
  }
  return { startMinute, endMinute };
}

function minuteOfDay(field: string, text: string): number {
  const parts = timeOfDay.exec(text);
  if (!parts)
    throw new Error(`${field} must be a time of day HH:MM from 00:00 to 24:00, got ${JSON.stringify(text)}`);
  const [hours, minutes] = parts[1] !== undefined ? [parts[1], parts[2]] : [parts[3], parts[4]];
  return Number(hours) * 60 + Number(minutes);
}

const weekdayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const monthNames = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];

/** "monday", "monday:friday" (case-insensitive). */
export function parseWeekdayRange(text: string): InclusiveRange {
  const range = parseRange(text, (member) => {
    const index = weekdayNames.indexOf(member.toLowerCase());
    if (index < 0)
      throw new Error(`${JSON.stringify(member)} is not a weekday (monday, tuesday, ... sunday)`);
    return index;
  });
  if (range.begin > range.end) {
    throw new Error(
      `weekday range ${JSON.stringify(text)} ends before it starts: weeks run from sunday to saturday, ` +
        "so list the two ends separately (e.g. 'saturday', 'sunday')",
    );
  }
  return range;
}

/** "1", "1:5", "-1" (the last day), "-7:-1" (the last week), "15:-1"; within ±31, never 0. */
export function parseDayOfMonthRange(text: string): InclusiveRange {
  const range = parseRange(text, (member) => {
    const day = integer(member, "day of the month");
    if (day === 0 || day < -31 || day > 31) {
      throw new Error(`${member} is not a day of the month: use 1 to 31, or -1 to -31 counting from the end`);
    }
    return day;
  });
  if (range.begin < 0 && range.end > 0) {
    throw new Error(
      `day range ${JSON.stringify(text)} starts counting from the month's end, so its end must too`,
    );
  }
  // Negative days move with the month's length; a 28-day month is the shortest, so judge order by it.
  const earliest = (day: number) => (day < 0 ? 28 + day + 1 : day);
  if (earliest(range.begin) > earliest(range.end)) {
    throw new Error(`day range ${JSON.stringify(text)} ends before it starts in a 28-day month`);
  }
  return range;
}

/** "march", "1:3", "january:march" (names case-insensitive, numbers 1..12). */
export function parseMonthRange(text: string): InclusiveRange {
  const range = parseRange(text, (member) => {
    const index = monthNames.indexOf(member.toLowerCase());
    if (index >= 0) return index + 1;
    if (/^\d+$/.test(member) && Number(member) >= 1 && Number(member) <= 12) return Number(member);
    throw new Error(`${JSON.stringify(member)} is not a month (january ... december, or 1 to 12)`);
  });
  if (range.begin > range.end) {
    throw new Error(
      `month range ${JSON.stringify(text)} ends before it starts: a range cannot wrap past december, ` +
        "so split it (e.g. 'november:december', 'january:february')",
    );
  }
  return range;
}

/** "2026", "2026:2027". */
export function parseYearRange(text: string): InclusiveRange {
  const range = parseRange(text, (member) => {
    const year = integer(member, "year");
    if (year < 1 || year > 9999) throw new Error(`${member} is not a year from 1 to 9999`);
    return year;
  });
  if (range.begin > range.end) throw new Error(`year range ${JSON.stringify(text)} ends before it starts`);
  return range;
}

/** An IANA time zone name that this runtime knows, e.g. "Europe/Berlin" or "UTC". */
export function parseLocation(text: string): string {
  try {
    formatterFor(text);
  } catch {
    throw new Error(`${JSON.stringify(text)} is not a known IANA time zone (e.g. "Europe/Berlin", "UTC")`);
  }
  return text;
}

function parseRange(text: string, member: (text: string) => number): InclusiveRange {
  // A leading "-" is a negative day, not a separator: split on the colon only.
  const ends = text.split(":");
  if (ends.length > 2 || ends.some((end) => end === "")) {
    throw new Error(`${JSON.stringify(text)} is not a value or a range "start:end"`);
  }
  const begin = member(ends[0] as string);
  const end = ends.length === 2 ? member(ends[1] as string) : begin;
  return { begin, end };
}

function integer(text: string, what: string): number {
  if (!/^-?\d+$/.test(text))
    throw new Error(`${JSON.stringify(text)} is not a ${what}: expected a whole number`);
  return Number(text);
}
