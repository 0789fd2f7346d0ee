// Code spans of markdown (``` fenced blocks and `inline` code). A <script> tag or a SQL tautology
// inside a code block is usually a question ABOUT code; scanners discount what they find there.

export type Ranges = readonly (readonly [number, number])[];

const RE_FENCE = /```[\s\S]*?(?:```|$)|~~~[\s\S]*?(?:~~~|$)/g;
const RE_INLINE = /`[^`\n]{1,500}`/g;

export function codeSpans(text: string): Ranges {
  const out: [number, number][] = [];
  for (const m of text.matchAll(RE_FENCE)) out.push([m.index, m.index + m[0].length]);
  for (const m of text.matchAll(RE_INLINE)) {
    const start = m.index;
    if (!out.some(([a, b]) => start >= a && start < b)) out.push([start, start + m[0].length]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

export function inRanges(ranges: Ranges, offset: number): boolean {
  for (const [a, b] of ranges) {
    if (offset < a) return false;
    if (offset < b) return true;
  }
  return false;
}
