import type { Finding } from "@argus/proto";
import { describe, expect, it } from "vitest";
import { type AlertRecord, applyFinding, resolveWithout } from "../src/domain/alert.js";
import { episodeLimits, sampleEventIds } from "../src/domain/episode.js";
import { alerterNow, finding, resolution, t } from "./fixtures.js";

/** The alert after `findings`, applied in order as the findings handler applies them. */
function alertAfter(findings: Finding[], start?: AlertRecord): AlertRecord {
  let current = start;
  for (const f of findings) current = applyFinding(current, f, alerterNow)?.alert ?? current;
  if (!current) throw new Error("no finding changed the alert");
  return current;
}

/** A client's finding about event `ev-<n>`, observed `n` seconds into the story. */
function attack(n: number, overrides: Partial<Finding> = {}): Finding {
  const at = new Date(t(0).getTime() + n * 1_000);
  return finding(`f-${n}`, {
    evidence: { event_id: `ev-${n}`, categories: "jailbreak" },
    sampleEventIds: [`ev-${n}`],
    observedAt: at,
    ...overrides,
  });
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("an alert sums up its episode", () => {
  it("keeps the first 10 and the latest 10 event ids of 700 findings, each once", () => {
    const alert = alertAfter(range(1, 700).map((n) => attack(n)));

    expect(alert.findingCount).toBe(700);
    expect(sampleEventIds(alert.episode)).toEqual([
      ...range(1, 10).map((n) => `ev-${n}`),
      ...range(691, 700).map((n) => `ev-${n}`),
    ]);
  });

  it("first seen is the episode's earliest finding, last seen its latest, whatever order they arrive in", () => {
    const alert = alertAfter([attack(30), attack(5), attack(60), attack(45)]);

    expect(alert.episode.firstSeenAt).toBe(new Date(t(0).getTime() + 5_000).toISOString());
    expect(alert.episode.lastSeenAt).toBe(new Date(t(0).getTime() + 60_000).toISOString());
    // The episode itself started with the finding that opened it.
    expect(alert.startsAt).toBe(new Date(t(0).getTime() + 30_000).toISOString());
  });

  it("takes event ids from evidence.event_id and sampleEventIds, without repeating one", () => {
    const alert = alertAfter([
      attack(1, { evidence: { event_id: "ev-a" }, sampleEventIds: ["ev-a", "ev-b", " ", "ev-c"] }),
      attack(2, { evidence: { event_id: "ev-b" }, sampleEventIds: [] }),
      attack(3, { evidence: {}, sampleEventIds: ["ev-d"] }),
    ]);

    expect(sampleEventIds(alert.episode)).toEqual(["ev-a", "ev-b", "ev-c", "ev-d"]);
  });

  it("a finding naming many events fills the first ids, then slides the latest", () => {
    const many = range(1, 25).map((n) => `ev-${n}`);
    const alert = alertAfter([attack(1, { evidence: {}, sampleEventIds: many })]);

    expect(sampleEventIds(alert.episode)).toEqual([...many.slice(0, 10), ...many.slice(15)]);
  });

  it("an event seen again among the latest moves to the newest end instead of appearing twice", () => {
    const again = alertAfter([
      ...range(1, 15).map((n) => attack(n)),
      attack(16, { evidence: { event_id: "ev-12" }, sampleEventIds: [] }),
    ]);

    expect(again.episode.latestEventIds).toEqual(["ev-11", "ev-13", "ev-14", "ev-15", "ev-12"]);
  });

  it("gathers the distinct categories of every finding, up to the limit, and says when some were left out", () => {
    const alert = alertAfter([
      attack(1, { evidence: { categories: "jailbreak, system_prompt" } }),
      attack(2, { evidence: { categories: "system_prompt,,role_play" } }),
      attack(3, { evidence: {} }),
    ]);
    expect(alert.episode.categories).toEqual(["jailbreak", "system_prompt", "role_play"]);
    expect(alert.episode.categoriesTruncated).toBe(false);

    const crowded = alertAfter(
      range(1, episodeLimits.categories + 4).map((n) =>
        attack(n, { evidence: { categories: `c${n},shared` } }),
      ),
    );
    expect(crowded.episode.categories).toHaveLength(episodeLimits.categories);
    expect(crowded.episode.categories.slice(0, 3)).toEqual(["c1", "shared", "c2"]);
    expect(crowded.episode.categoriesTruncated).toBe(true);
  });

  it("leaves out ids and categories too long to be one (a detector's mistake), keeping the rest", () => {
    const long = "x".repeat(episodeLimits.valueChars + 1);
    const alert = alertAfter([
      attack(1, { evidence: { event_id: long, categories: `${long},ok` }, sampleEventIds: ["ev-1"] }),
    ]);

    expect(sampleEventIds(alert.episode)).toEqual(["ev-1"]);
    expect(alert.episode.categories).toEqual(["ok"]);
  });

  it("a resolution ends the episode but keeps its summary; the next episode starts afresh", () => {
    const first = alertAfter([
      ...range(1, 30).map((n) => attack(n, { evidence: { event_id: `ev-${n}`, categories: "jailbreak" } })),
      resolution("r1", t(5)),
    ]);
    expect(first.state).toBe("resolved");
    expect(first.episode.lastSeenAt).toBe(new Date(t(0).getTime() + 30_000).toISOString());
    expect(sampleEventIds(first.episode)).toHaveLength(20);

    const next = alertAfter(
      [attack(600, { evidence: { event_id: "ev-new", categories: "role_play" }, sampleEventIds: [] })],
      first,
    );
    expect(next.state).toBe("firing");
    expect(next.findingCount).toBe(1);
    expect(next.episode).toEqual({
      firstSeenAt: new Date(t(0).getTime() + 600_000).toISOString(),
      lastSeenAt: new Date(t(0).getTime() + 600_000).toISOString(),
      categories: ["role_play"],
      categoriesTruncated: false,
      firstEventIds: ["ev-new"],
      latestEventIds: [],
    });
  });

  it("after a resolution by hand, too, the next finding starts a fresh episode", () => {
    const firing = alertAfter(range(1, 12).map((n) => attack(n)));
    const byHand = resolveWithout(firing, "alice@acme", t(1));
    if (!byHand) throw new Error("the alert was firing");

    const next = alertAfter(
      [attack(120, { evidence: { event_id: "ev-after" }, sampleEventIds: [] })],
      byHand,
    );
    expect(sampleEventIds(next.episode)).toEqual(["ev-after"]);
    expect(next.episode.firstSeenAt).toBe(next.startsAt);
  });
});
