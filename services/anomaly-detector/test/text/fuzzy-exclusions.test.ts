// The generated list of dictionary words excluded from fuzzy matching must match the lexicon.
// Needs a word list (Debian package wamerican); skipped where there is none.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DICTIONARY_NEIGHBOURS } from "../../src/domain/text/fuzzy-exclusions.js";
import { fuzzyMatch, isLexiconWord, segmentWord } from "../../src/domain/text/tokens.js";

const WORDS = "/usr/share/dict/words";

describe.skipIf(!existsSync(WORDS))("fuzzy-exclusions.ts", () => {
  it("is current: regenerate with src/tools/build-fuzzy-exclusions.ts after changing the lexicon", () => {
    const words = [...new Set(readFileSync(WORDS, "utf8").split("\n"))].filter((w) =>
      /^[a-z]{4,24}$/.test(w),
    );
    const missing = words.filter(
      (w) =>
        !isLexiconWord(w) &&
        !DICTIONARY_NEIGHBOURS.has(w) &&
        (fuzzyMatch(w, { ignoreExclusions: true }) !== undefined ||
          segmentWord(w, { ignoreExclusions: true }) !== undefined),
    );
    expect(missing).toEqual([]);
  });
});

describe("fuzzy lookup", () => {
  it("corrects typos and leaves dictionary words alone", () => {
    expect(fuzzyMatch("instructons")).toBe("instructions");
    expect(fuzzyMatch("previus")).toBe("previous");
    expect(fuzzyMatch("allowing")).toBeUndefined();
    expect(fuzzyMatch("allowing", { ignoreExclusions: true })).toBe("following");
  });
});
