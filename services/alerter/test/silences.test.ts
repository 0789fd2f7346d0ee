import { describe, expect, it } from "vitest";
import { matcher, parseMatcher } from "../src/domain/routing/matchers.js";
import {
  expireSilence,
  newSilence,
  type Silence,
  type SilenceInput,
  silenceState,
  silencesMuting,
  validateSilence,
} from "../src/domain/silences.js";

const now = new Date("2025-03-04T12:00:00.000Z");
const minutes = (n: number): Date => new Date(now.getTime() + n * 60_000);

function input(overrides: Partial<SilenceInput> = {}): SilenceInput {
  return {
    matchers: [parseMatcher('model="credit-risk"')],
    endsAt: minutes(60),
    createdBy: "ana@acme.example",
    comment: "retraining the model",
    ...overrides,
  };
}

function silence(id: string, overrides: Partial<Silence> = {}): Silence {
  return {
    id,
    tenant: "acme",
    matchers: [parseMatcher('model="credit-risk"')],
    startsAt: minutes(-10).toISOString(),
    endsAt: minutes(10).toISOString(),
    createdBy: "ana@acme.example",
    comment: "retraining the model",
    createdAt: minutes(-10).toISOString(),
    updatedAt: minutes(-10).toISOString(),
    ...overrides,
  };
}

describe("silenceState", () => {
  const window = silence("s1", { startsAt: minutes(0).toISOString(), endsAt: minutes(30).toISOString() });

  it("is pending until the start, active from the start itself, expired from the end itself", () => {
    expect(silenceState(window, new Date(now.getTime() - 1))).toBe("pending");
    expect(silenceState(window, now)).toBe("active");
    expect(silenceState(window, new Date(minutes(30).getTime() - 1))).toBe("active");
    expect(silenceState(window, minutes(30))).toBe("expired");
  });
});

describe("validateSilence", () => {
  it("accepts a complete silence", () => {
    expect(validateSilence(input(), now)).toBeNull();
  });

  it("requires at least one matcher", () => {
    expect(validateSilence(input({ matchers: [] }), now)).toMatch(/^matchers: /);
  });

  it("rejects more than 64 matchers", () => {
    const many = Array.from({ length: 65 }, (_, i) => matcher(`l${i}`, "=", "x"));
    expect(validateSilence(input({ matchers: many }), now)).toMatch(/^matchers: .*64/);
    expect(validateSilence(input({ matchers: many.slice(0, 64) }), now)).toBeNull();
  });

  it.each([['model=""'], ['model=~".*"'], ['model=~"|credit.*"']])(
    "rejects a silence whose only matcher %s matches an absent label: it would mute everything",
    (text) => {
      expect(validateSilence(input({ matchers: [parseMatcher(text)] }), now)).toMatch(/empty string/);
    },
  );

  it("rejects a silence when every matcher matches the empty string", () => {
    const matchers = [parseMatcher('model=""'), parseMatcher('kind=~".*"')];
    expect(validateSilence(input({ matchers }), now)).toMatch(/^matchers: .*empty string/);
  });

  it("accepts catch-all matchers when one other matcher narrows the silence", () => {
    const matchers = [parseMatcher('kind=~".*"'), parseMatcher('model="credit-risk"')];
    expect(validateSilence(input({ matchers }), now)).toBeNull();
  });

  it("accepts a silence made of negative matchers only, as Alertmanager does", () => {
    expect(validateSilence(input({ matchers: [parseMatcher('env!="prod"')] }), now)).toBeNull();
  });

  it("reports a matcher that did not come through matcher(): a bad regular expression", () => {
    const broken = { name: "model", type: "=~" as const, value: "(" };
    expect(validateSilence(input({ matchers: [broken] }), now)).toMatch(/^matchers\[0\]: /);
  });

  it("requires the end to be after the start, the start defaulting to now", () => {
    expect(validateSilence(input({ startsAt: minutes(30), endsAt: minutes(30) }), now)).toMatch(/^endsAt: /);
    expect(validateSilence(input({ startsAt: minutes(40), endsAt: minutes(30) }), now)).toMatch(/^endsAt: /);
    expect(validateSilence(input({ endsAt: now }), now)).toMatch(/^endsAt: /);
    expect(validateSilence(input({ startsAt: minutes(30), endsAt: minutes(31) }), now)).toBeNull();
  });

  it("requires the end to be in the future even when the window is well-formed", () => {
    const past = input({ startsAt: minutes(-60), endsAt: minutes(-1) });
    expect(validateSilence(past, now)).toBe("endsAt: must be in the future");
  });

  it("rejects an invalid date", () => {
    expect(validateSilence(input({ endsAt: new Date("not a date") }), now)).toMatch(/^endsAt: /);
  });

  it("requires an author and a comment", () => {
    expect(validateSilence(input({ createdBy: " " }), now)).toMatch(/^createdBy: /);
    expect(validateSilence(input({ comment: "" }), now)).toMatch(/^comment: /);
  });

  it("limits the comment to 1000 characters", () => {
    expect(validateSilence(input({ comment: "x".repeat(1000) }), now)).toBeNull();
    expect(validateSilence(input({ comment: "x".repeat(1001) }), now)).toMatch(/^comment: .*1000/);
  });
});

describe("newSilence", () => {
  it("starts now by default and records who created it and when", () => {
    expect(newSilence("s1", "acme", input(), now)).toEqual({
      id: "s1",
      tenant: "acme",
      matchers: [{ name: "model", type: "=", value: "credit-risk" }],
      startsAt: now.toISOString(),
      endsAt: minutes(60).toISOString(),
      createdBy: "ana@acme.example",
      comment: "retraining the model",
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
  });

  it("keeps a future start, so the silence is pending", () => {
    const created = newSilence("s1", "acme", input({ startsAt: minutes(5) }), now);
    expect(created.startsAt).toBe(minutes(5).toISOString());
    expect(silenceState(created, now)).toBe("pending");
  });

  it("moves a start in the past to now: a silence cannot claim it muted earlier notifications", () => {
    const created = newSilence("s1", "acme", input({ startsAt: minutes(-30) }), now);
    expect(created.startsAt).toBe(now.toISOString());
  });

  it("does not share its matchers with the input", () => {
    const request = input();
    const created = newSilence("s1", "acme", request, now);
    (request.matchers[0] as { value: string }).value = "other";
    expect(created.matchers[0]?.value).toBe("credit-risk");
  });

  it("refuses input that validation rejects", () => {
    expect(() => newSilence("s1", "acme", input({ matchers: [] }), now)).toThrow(/matchers/);
  });
});

describe("expireSilence", () => {
  const later = minutes(1);

  it("ends an active silence now, keeping its start", () => {
    const active = silence("s1");
    const expired = expireSilence(active, later);
    expect(expired).toEqual({
      ...active,
      endsAt: later.toISOString(),
      updatedAt: later.toISOString(),
    });
    expect(silenceState(expired, later)).toBe("expired");
  });

  it("collapses a pending silence to an empty window now, so it never mutes anything", () => {
    const pending = silence("s1", { startsAt: minutes(30).toISOString(), endsAt: minutes(90).toISOString() });
    const expired = expireSilence(pending, later);
    expect(expired.startsAt).toBe(later.toISOString());
    expect(expired.endsAt).toBe(later.toISOString());
    expect(silenceState(expired, later)).toBe("expired");
    expect(silenceState(expired, minutes(45))).toBe("expired");
  });

  it("leaves an expired silence untouched, keeping when it really ended", () => {
    const old = silence("s1", { startsAt: minutes(-60).toISOString(), endsAt: minutes(-30).toISOString() });
    expect(expireSilence(old, later)).toEqual(old);
  });
});

describe("silencesMuting", () => {
  const alert = { tenant: "acme", labels: { model: "credit-risk", severity: "critical" } };

  it("lists the active silences of the alert's tenant whose matchers all match", () => {
    const silences = [
      silence("matches"),
      silence("also-matches", { matchers: [parseMatcher('severity=~"crit.*"'), parseMatcher("team!=ops")] }),
      silence("one-matcher-fails", {
        matchers: [parseMatcher('model="credit-risk"'), parseMatcher('severity="warning"')],
      }),
    ];
    expect(silencesMuting(silences, alert, now)).toEqual(["matches", "also-matches"]);
  });

  it("ignores another tenant's silence with the same matchers", () => {
    expect(silencesMuting([silence("globex-silence", { tenant: "globex" })], alert, now)).toEqual([]);
  });

  it("ignores silences that have not started or have ended", () => {
    const silences = [
      silence("pending", { startsAt: minutes(1).toISOString(), endsAt: minutes(60).toISOString() }),
      silence("expired", { startsAt: minutes(-60).toISOString(), endsAt: now.toISOString() }),
    ];
    expect(silencesMuting(silences, alert, now)).toEqual([]);
  });

  it("stops muting once the silence is expired", () => {
    const active = silence("s1");
    expect(silencesMuting([active], alert, now)).toEqual(["s1"]);
    expect(silencesMuting([expireSilence(active, now)], alert, now)).toEqual([]);
  });
});
