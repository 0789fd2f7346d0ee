// Window hashes already computed, for one salt and one window position of the query fingerprints,
// for windows of three buckets each within −16..15 (±4 z at the default step): a dense table
// indexed by the buckets themselves. Normalized features mostly fall in a few central buckets, so
// the windows a query looks up sit close together here (a run of neighbouring buckets shares cache
// lines) where the hashed memo scatters them over its slots: 28 lookups per 30-feature query
// stay in cache instead of missing it each time. Windows outside the range go to the hashed memo.

const OFFSET = 16;
const SIDE = 32;
const ENTRIES = SIDE * SIDE * SIDE;

export class WindowHashTable {
  private readonly values = new Uint32Array(ENTRIES);
  /** Bit per entry: its value is known (a hash can be any uint32, 0 included). */
  private readonly known = new Int32Array(ENTRIES >>> 5);

  /** Where a window of three buckets lives in the table, or −1 outside its range. */
  static indexOf(first: number, second: number, third: number): number {
    const a = first + OFFSET;
    const b = second + OFFSET;
    const c = third + OFFSET;
    // A negative or a too large shifted bucket sets a bit at or above the fifth.
    if ((a | b | c) >>> 5 !== 0) return -1;
    return (a << 10) | (b << 5) | c;
  }

  /** The hash stored at `index` (from `indexOf`), or −1. */
  get(index: number): number {
    if (((this.known[index >>> 5] as number) & (1 << (index & 31))) === 0) return -1;
    return this.values[index] as number;
  }

  set(index: number, value: number): void {
    this.values[index] = value;
    this.known[index >>> 5] = (this.known[index >>> 5] as number) | (1 << (index & 31));
  }
}
