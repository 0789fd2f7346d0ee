/**
 * Counts per sketch bucket key while one batch is accumulated. Keys of one feature sit in a narrow
 * range (α = 1 %: a factor of 10 spans 116 keys), so a dense array indexed by key replaces a Map
 * lookup per value; keys that would stretch the array past `maxSpan` (a hostile or wildly spread
 * feature) are counted in a Map instead, so memory stays bounded whatever the values.
 */
export class BucketCounts {
  static readonly maxSpan = 4_096;
  private offset = 0;
  private counts: Int32Array | undefined;
  private overflow: Map<number, number> | undefined;
  /** The occupied part of `counts`: reading back walks only it. */
  private lowest = Number.POSITIVE_INFINITY;
  private highest = Number.NEGATIVE_INFINITY;

  add(key: number): void {
    let counts = this.counts;
    if (counts === undefined) {
      // Small at first: an event may carry tens of thousands of features, each with its own counts.
      counts = new Int32Array(64);
      this.counts = counts;
      this.offset = key - 32;
    }
    let at = key - this.offset;
    if (at < 0 || at >= counts.length) {
      counts = this.grow(key);
      if (counts === undefined) {
        this.overflow ??= new Map();
        this.overflow.set(key, (this.overflow.get(key) ?? 0) + 1);
        return;
      }
      at = key - this.offset;
    }
    counts[at] = (counts[at] as number) + 1;
    if (key < this.lowest) this.lowest = key;
    if (key > this.highest) this.highest = key;
  }

  /** Every key with a count, each once. */
  eachCount(visit: (key: number, count: number) => void): void {
    const counts = this.counts;
    if (counts !== undefined && this.lowest <= this.highest) {
      for (let at = this.lowest - this.offset; at <= this.highest - this.offset; at++) {
        const count = counts[at] as number;
        if (count > 0) visit(at + this.offset, count);
      }
    }
    if (this.overflow) for (const [key, count] of this.overflow) visit(key, count);
  }

  private grow(key: number): Int32Array | undefined {
    const counts = this.counts as Int32Array;
    const low = Math.min(this.offset, key);
    const high = Math.max(this.offset + counts.length - 1, key);
    const needed = high - low + 1;
    if (needed > BucketCounts.maxSpan) return undefined;
    // Most features span a few hundred keys in a batch (more near zero): the first growth goes
    // straight to 512, later ones double (within the cap), so an array grows a few times at most.
    const length = Math.min(Math.max(needed + 64, counts.length * 2, 512), BucketCounts.maxSpan);
    const offset = key < this.offset ? Math.max(high - length + 1, low - 32) : low;
    const grown = new Int32Array(length);
    grown.set(counts, this.offset - offset);
    this.offset = offset;
    this.counts = grown;
    return grown;
  }
}
