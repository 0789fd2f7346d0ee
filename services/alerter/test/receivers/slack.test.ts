import { describe, expect, it } from "vitest";
import { Severity } from "../../src/domain/alert.js";
import { SLACK_MAX_LISTED, slackMessage } from "../../src/domain/receivers/slack.js";
import { alertRecord, attackAlert } from "./helpers.js";

describe("slackMessage", () => {
  it("gives a fallback text and a header plus one section per alert", () => {
    const m = slackMessage(
      [
        alertRecord({ severity: Severity.SEVERITY_CRITICAL }),
        alertRecord({
          fingerprint: "fp-2",
          labels: { alertname: "Z" },
          state: "resolved",
          endsAt: "2025-03-04T06:00:00.000Z",
        }),
      ],
      { title: "credit-risk drift" },
    );
    expect(m.text).toBe("[FIRING] credit-risk drift (1 firing, 1 resolved)");
    expect(m.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: m.text } });
    const sections = m.blocks.filter((b) => b.type === "section");
    expect(sections).toHaveLength(2);
    for (const s of sections) expect(s.type === "section" && s.text.type).toBe("mrkdwn");
    expect(JSON.stringify(sections)).toContain("*critical*");
    expect(JSON.stringify(sections)).toContain("resolved 2025-03-04T06:00:00.000Z");
  });

  it("names the client and sums up the episode: findings, first and last seen, categories, sample events", () => {
    const m = slackMessage([attackAlert()], { title: "t" });
    const section = m.blocks[1];
    const text = section?.type === "section" ? section.text.text : "";
    expect(text).toContain("client `c-7f3a`");
    expect(text).toContain(
      "150 findings, first seen 2025-03-04T05:00:00.000Z, last seen 2025-03-04T05:24:00.000Z · categories: jailbreak, system_prompt",
    );
    expect(text).toContain("sample events: `ev-1`, `ev-2`, `ev-149`, `ev-150`");

    const crowded = attackAlert();
    crowded.episode = { ...crowded.episode, categoriesTruncated: true };
    const more = slackMessage([crowded], { title: "t" }).blocks[1];
    expect(more?.type === "section" ? more.text.text : "").toContain(
      "categories: jailbreak, system_prompt, and more",
    );
  });

  it("says RESOLVED when nothing fires", () => {
    const m = slackMessage([alertRecord({ state: "resolved", endsAt: "2025-03-04T06:00:00.000Z" })], {
      title: "t",
    });
    expect(m.text).toBe("[RESOLVED] t (1 resolved)");
  });

  it("escapes mrkdwn control characters from alert text", () => {
    const m = slackMessage([alertRecord({ summary: "<!channel> a & b > c" })], { title: "t" });
    const section = m.blocks[1];
    expect(section?.type === "section" && section.text.text).toContain("&lt;!channel&gt; a &amp; b &gt; c");
  });

  it("lists at most SLACK_MAX_LISTED alerts and counts the rest", () => {
    const alerts = Array.from({ length: SLACK_MAX_LISTED + 5 }, (_, i) =>
      alertRecord({ fingerprint: `fp-${i}`, labels: { n: String(i).padStart(3, "0") } }),
    );
    const m = slackMessage(alerts, { title: "t" });
    expect(m.blocks.filter((b) => b.type === "section")).toHaveLength(SLACK_MAX_LISTED);
    expect(m.blocks.at(-1)).toEqual({ type: "context", elements: [{ type: "mrkdwn", text: "and 5 more" }] });
    expect(m.blocks.length).toBeLessThanOrEqual(50);
  });

  it("keeps the header within Slack's 150 characters", () => {
    const m = slackMessage([alertRecord()], { title: "t".repeat(500) });
    const header = m.blocks[0];
    expect(header?.type === "header" && Array.from(header.text.text).length).toBeLessThanOrEqual(150);
  });
});
