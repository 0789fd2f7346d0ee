import { describe, expect, it } from "vitest";
import {
  isRouteMuted,
  parseDayOfMonthRange,
  parseLocation,
  parseMonthRange,
  parseTimeRange,
  parseWeekdayRange,
  parseYearRange,
  type TimeInterval,
  timeIntervalContains,
} from "../../src/domain/routing/time-intervals.js";

const always: TimeInterval = {
  times: [],
  weekdays: [],
  daysOfMonth: [],
  months: [],
  years: [],
  location: "UTC",
};
const interval = (overrides: Partial<TimeInterval>): TimeInterval => ({ ...always, ...overrides });
const at = (iso: string) => new Date(iso);

describe("timeIntervalContains", () => {
  it("contains every moment when no field restricts", () => {
    expect(timeIntervalContains(always, at("2026-07-04T12:00:00Z"))).toBe(true);
  });

  it("treats times as [start, end) in minutes of the day", () => {
    const morning = interval({ times: [parseTimeRange("09:00", "17:30")] });
    expect(timeIntervalContains(morning, at("2026-03-02T08:59:59Z"))).toBe(false);
    expect(timeIntervalContains(morning, at("2026-03-02T09:00:00Z"))).toBe(true);
    expect(timeIntervalContains(morning, at("2026-03-02T17:29:59Z"))).toBe(true);
    expect(timeIntervalContains(morning, at("2026-03-02T17:30:00Z"))).toBe(false);
    const firstHour = interval({ times: [parseTimeRange("00:00", "01:00")], location: "Europe/Berlin" });
    expect(timeIntervalContains(firstHour, at("2026-03-01T23:00:00Z"))).toBe(true); // midnight in Berlin
    expect(timeIntervalContains(firstHour, at("2026-03-01T22:59:59Z"))).toBe(false);
  });

  it("lets end_time 24:00 cover the last minute of the day and nothing after", () => {
    const lateEvening = interval({ times: [parseTimeRange("22:00", "24:00")] });
    expect(timeIntervalContains(lateEvening, at("2026-03-02T23:59:59Z"))).toBe(true);
    expect(timeIntervalContains(lateEvening, at("2026-03-03T00:00:00Z"))).toBe(false);
    expect(timeIntervalContains(lateEvening, at("2026-03-02T21:59:00Z"))).toBe(false);
  });

  it("matches any of several time ranges", () => {
    const nights = interval({ times: [parseTimeRange("22:00", "24:00"), parseTimeRange("00:00", "06:00")] });
    expect(timeIntervalContains(nights, at("2026-03-02T23:00:00Z"))).toBe(true);
    expect(timeIntervalContains(nights, at("2026-03-02T05:59:00Z"))).toBe(true);
    expect(timeIntervalContains(nights, at("2026-03-02T12:00:00Z"))).toBe(false);
  });

  it("reads weekday ranges inclusively, with Sunday as day 0", () => {
    const workweek = interval({ weekdays: [parseWeekdayRange("monday:friday")] });
    expect(timeIntervalContains(workweek, at("2026-03-02T12:00:00Z"))).toBe(true); // Monday
    expect(timeIntervalContains(workweek, at("2026-03-06T23:59:00Z"))).toBe(true); // Friday
    expect(timeIntervalContains(workweek, at("2026-03-07T00:00:00Z"))).toBe(false); // Saturday
    expect(timeIntervalContains(workweek, at("2026-03-08T12:00:00Z"))).toBe(false); // Sunday
    const weekend = interval({ weekdays: [parseWeekdayRange("Saturday"), parseWeekdayRange("SUNDAY")] });
    expect(timeIntervalContains(weekend, at("2026-03-08T12:00:00Z"))).toBe(true);
    expect(timeIntervalContains(weekend, at("2026-03-09T12:00:00Z"))).toBe(false);
  });

  it("reads the wall clock of the interval's location, day and weekday included", () => {
    // 03:00 UTC on Monday 5 January 2026 is still Sunday evening in Los Angeles.
    const moment = at("2026-01-05T03:00:00Z");
    const weekdaysIn = (location: string) =>
      interval({ weekdays: [parseWeekdayRange("monday:friday")], location: parseLocation(location) });
    expect(timeIntervalContains(weekdaysIn("UTC"), moment)).toBe(true);
    expect(timeIntervalContains(weekdaysIn("America/Los_Angeles"), moment)).toBe(false);
    const lateEveningLA = interval({
      times: [parseTimeRange("19:00", "20:00")],
      location: "America/Los_Angeles",
    });
    expect(timeIntervalContains(lateEveningLA, moment)).toBe(true);
    const firstOfMonthTokyo = interval({ daysOfMonth: [parseDayOfMonthRange("1")], location: "Asia/Tokyo" });
    expect(timeIntervalContains(firstOfMonthTokyo, at("2026-01-31T15:00:00Z"))).toBe(true);
    expect(timeIntervalContains(firstOfMonthTokyo, at("2026-01-31T14:59:00Z"))).toBe(false);
  });

  it("follows daylight saving time in Europe/Berlin", () => {
    const threeToFour = interval({ times: [parseTimeRange("03:00", "04:00")], location: "Europe/Berlin" });
    // The day before the switch Berlin is UTC+1: 03:00 local is 02:00 UTC.
    expect(timeIntervalContains(threeToFour, at("2026-03-28T01:30:00Z"))).toBe(false);
    expect(timeIntervalContains(threeToFour, at("2026-03-28T02:30:00Z"))).toBe(true);
    // On 29 March 2026 clocks jump from 02:00 to 03:00 at 01:00 UTC; from then Berlin is UTC+2.
    expect(timeIntervalContains(threeToFour, at("2026-03-29T00:59:00Z"))).toBe(false); // 01:59 CET
    expect(timeIntervalContains(threeToFour, at("2026-03-29T01:00:00Z"))).toBe(true); // 03:00 CEST
    expect(timeIntervalContains(threeToFour, at("2026-03-29T01:59:00Z"))).toBe(true); // 03:59 CEST
    expect(timeIntervalContains(threeToFour, at("2026-03-29T02:00:00Z"))).toBe(false); // 04:00 CEST
    // The skipped hour never happens.
    const skipped = interval({ times: [parseTimeRange("02:00", "03:00")], location: "Europe/Berlin" });
    for (let minute = 0; minute < 180; minute += 1) {
      expect(
        timeIntervalContains(skipped, new Date(Date.parse("2026-03-29T00:00:00Z") + minute * 60_000)),
      ).toBe(false);
    }
    // On 25 October 2026 02:00-03:00 happens twice (00:00-01:00 UTC in CEST, then 01:00-02:00 UTC in CET).
    expect(timeIntervalContains(skipped, at("2026-10-25T00:30:00Z"))).toBe(true);
    expect(timeIntervalContains(skipped, at("2026-10-25T01:30:00Z"))).toBe(true);
    expect(timeIntervalContains(skipped, at("2026-10-25T02:30:00Z"))).toBe(false);
  });

  it("counts negative days of the month from the month's end, leap years included", () => {
    const lastDay = interval({ daysOfMonth: [parseDayOfMonthRange("-1")] });
    expect(timeIntervalContains(lastDay, at("2028-02-28T12:00:00Z"))).toBe(false);
    expect(timeIntervalContains(lastDay, at("2028-02-29T12:00:00Z"))).toBe(true);
    expect(timeIntervalContains(lastDay, at("2027-02-28T12:00:00Z"))).toBe(true);
    expect(timeIntervalContains(lastDay, at("2028-01-31T12:00:00Z"))).toBe(true);
    expect(timeIntervalContains(lastDay, at("2028-04-30T12:00:00Z"))).toBe(true);
    const lastWeek = interval({ daysOfMonth: [parseDayOfMonthRange("-7:-1")] });
    expect(timeIntervalContains(lastWeek, at("2028-02-23T00:00:00Z"))).toBe(true);
    expect(timeIntervalContains(lastWeek, at("2028-02-22T23:59:00Z"))).toBe(false);
    expect(timeIntervalContains(lastWeek, at("2027-02-22T00:00:00Z"))).toBe(true);
    const secondHalf = interval({ daysOfMonth: [parseDayOfMonthRange("15:-1")] });
    expect(timeIntervalContains(secondHalf, at("2028-02-29T00:00:00Z"))).toBe(true);
    expect(timeIntervalContains(secondHalf, at("2028-02-14T00:00:00Z"))).toBe(false);
    // A day the month lacks is never reached.
    const thirtyFirst = interval({ daysOfMonth: [parseDayOfMonthRange("31")] });
    expect(timeIntervalContains(thirtyFirst, at("2028-02-29T00:00:00Z"))).toBe(false);
    expect(timeIntervalContains(thirtyFirst, at("2028-03-01T00:00:00Z"))).toBe(false);
  });

  it("reads months and years", () => {
    const quarter = interval({ months: [parseMonthRange("january:march"), parseMonthRange("12")] });
    expect(timeIntervalContains(quarter, at("2026-03-31T23:59:00Z"))).toBe(true);
    expect(timeIntervalContains(quarter, at("2026-04-01T00:00:00Z"))).toBe(false);
    expect(timeIntervalContains(quarter, at("2026-12-15T00:00:00Z"))).toBe(true);
    const years = interval({ years: [parseYearRange("2026:2027")] });
    expect(timeIntervalContains(years, at("2025-12-31T23:59:00Z"))).toBe(false);
    expect(timeIntervalContains(years, at("2027-12-31T23:59:00Z"))).toBe(true);
    // New year arrives earlier in Berlin than in UTC.
    expect(timeIntervalContains({ ...years, location: "Europe/Berlin" }, at("2025-12-31T23:30:00Z"))).toBe(
      true,
    );
  });

  it("requires every given field to match", () => {
    const businessHours = interval({
      times: [parseTimeRange("09:00", "17:00")],
      weekdays: [parseWeekdayRange("monday:friday")],
      location: "Europe/Berlin",
    });
    expect(timeIntervalContains(businessHours, at("2026-03-02T08:30:00Z"))).toBe(true); // Mon 09:30
    expect(timeIntervalContains(businessHours, at("2026-03-07T08:30:00Z"))).toBe(false); // Sat 09:30
    expect(timeIntervalContains(businessHours, at("2026-03-02T07:30:00Z"))).toBe(false); // Mon 08:30
  });
});

describe("isRouteMuted", () => {
  const intervals = new Map<string, TimeInterval[]>([
    ["nights", [interval({ times: [parseTimeRange("00:00", "06:00")] })]],
    [
      "business",
      [
        interval({
          times: [parseTimeRange("09:00", "17:00")],
          weekdays: [parseWeekdayRange("monday:friday")],
        }),
      ],
    ],
    [
      "weekend",
      [
        interval({ weekdays: [parseWeekdayRange("saturday")] }),
        interval({ weekdays: [parseWeekdayRange("sunday")] }),
      ],
    ],
  ]);
  const route = (mute: string[], active: string[]) => ({
    muteTimeIntervals: mute,
    activeTimeIntervals: active,
  });
  const mondayNight = at("2026-03-02T03:00:00Z");
  const mondayNoon = at("2026-03-02T12:00:00Z");
  const sundayNoon = at("2026-03-08T12:00:00Z");

  it("mutes inside any mute interval", () => {
    expect(isRouteMuted(route(["nights"], []), intervals, mondayNight)).toBe(true);
    expect(isRouteMuted(route(["nights"], []), intervals, mondayNoon)).toBe(false);
    expect(isRouteMuted(route(["nights", "weekend"], []), intervals, sundayNoon)).toBe(true);
  });

  it("mutes outside all active intervals", () => {
    expect(isRouteMuted(route([], ["business"]), intervals, mondayNoon)).toBe(false);
    expect(isRouteMuted(route([], ["business"]), intervals, mondayNight)).toBe(true);
    expect(isRouteMuted(route([], ["business", "weekend"]), intervals, sundayNoon)).toBe(false);
  });

  it("lets a mute interval win over an active one", () => {
    expect(isRouteMuted(route(["weekend"], ["weekend"]), intervals, sundayNoon)).toBe(true);
  });

  it("never mutes a route without intervals", () => {
    expect(isRouteMuted(route([], []), intervals, mondayNight)).toBe(false);
  });
});

describe("parsing time interval fields", () => {
  it("refuses malformed or inverted times", () => {
    expect(() => parseTimeRange("9:00", "17:00")).toThrow(
      'start_time must be a time of day HH:MM from 00:00 to 24:00, got "9:00"',
    );
    expect(() => parseTimeRange("09:00", "24:01")).toThrow("end_time must be a time of day");
    expect(() => parseTimeRange("24:00", "24:00")).toThrow("must be before end_time");
    expect(() => parseTimeRange("22:00", "06:00")).toThrow("cannot wrap past midnight");
    expect(() => parseTimeRange("10:00", "10:00")).toThrow("start_time 10:00 must be before end_time 10:00");
    expect(parseTimeRange("00:00", "24:00")).toEqual({ startMinute: 0, endMinute: 1440 });
  });

  it("refuses unknown or inverted weekdays", () => {
    expect(() => parseWeekdayRange("funday")).toThrow('"funday" is not a weekday');
    expect(() => parseWeekdayRange("1")).toThrow("is not a weekday");
    expect(() => parseWeekdayRange("saturday:sunday")).toThrow("ends before it starts");
    expect(() => parseWeekdayRange("monday:")).toThrow('is not a value or a range "start:end"');
    expect(() => parseWeekdayRange("monday:tuesday:friday")).toThrow("is not a value or a range");
    expect(parseWeekdayRange("sunday:saturday")).toEqual({ begin: 0, end: 6 });
  });

  it("refuses days of the month beyond ±31, zero, or ranges that always end before they start", () => {
    expect(() => parseDayOfMonthRange("0")).toThrow("0 is not a day of the month");
    expect(() => parseDayOfMonthRange("32")).toThrow("32 is not a day of the month");
    expect(() => parseDayOfMonthRange("-32")).toThrow("-32 is not a day of the month");
    expect(() => parseDayOfMonthRange("5:1")).toThrow("ends before it starts");
    expect(() => parseDayOfMonthRange("-1:-5")).toThrow("ends before it starts");
    expect(() => parseDayOfMonthRange("-5:10")).toThrow("its end must too");
    expect(() => parseDayOfMonthRange("first")).toThrow('"first" is not a day of the month');
    expect(() => parseDayOfMonthRange("29:-1")).toThrow("ends before it starts");
    expect(parseDayOfMonthRange("1:-1")).toEqual({ begin: 1, end: -1 });
    expect(parseDayOfMonthRange("-31")).toEqual({ begin: -31, end: -31 });
  });

  it("refuses unknown or inverted months and years", () => {
    expect(() => parseMonthRange("13")).toThrow('"13" is not a month');
    expect(() => parseMonthRange("jan")).toThrow('"jan" is not a month');
    expect(() => parseMonthRange("december:january")).toThrow("cannot wrap past december");
    expect(parseMonthRange("March:5")).toEqual({ begin: 3, end: 5 });
    expect(() => parseYearRange("2027:2026")).toThrow("ends before it starts");
    expect(() => parseYearRange("26.5")).toThrow("expected a whole number");
    expect(() => parseYearRange("0")).toThrow("is not a year");
  });

  it("refuses unknown time zones", () => {
    expect(() => parseLocation("Europe/Atlantis")).toThrow('"Europe/Atlantis" is not a known IANA time zone');
    expect(() => parseLocation("")).toThrow("is not a known IANA time zone");
    expect(() => parseLocation("Local")).toThrow("is not a known IANA time zone");
    expect(parseLocation("Europe/Berlin")).toBe("Europe/Berlin");
  });
});
