// PRADA's distance history D as a batch keeps it: the codes in arrival order (what is stored and what
// the outlier rule sums, in that order) and the same codes kept sorted, one insertion and one removal
// per query. Shapiro-Wilk skips its sort when handed a sample already in order: the sort was most
// of the test's cost (~13 µs of ~18 at 256 distances).
import { shapiroWilk } from "@argus/stats";
import { decodeUint12, encodeUint12 } from "./codec.js";

/** Distances are stored as 12-bit codes round(sqrt(d) * DISTANCE_CODE_SCALE) (prada.ts says why). */
export const DISTANCE_CODE_SCALE = 512;
const MAX_DISTANCE_CODE = 0xfff;

/** The stored code of a distance, and the distance a code stands for. */
export function distanceCode(d: number): number {
  return Math.min(MAX_DISTANCE_CODE, Math.round(Math.sqrt(d) * DISTANCE_CODE_SCALE));
}
export function codeDistance(code: number): number {
  return (code / DISTANCE_CODE_SCALE) ** 2;
}

/** `codeDistance` of every code: the test reads each code's distance three times per query. */
const distances = Float64Array.from({ length: MAX_DISTANCE_CODE + 1 }, (_, code) => codeDistance(code));

let keptScratch = new Float64Array(256);

export class DistanceHistory {
  private constructor(
    private arrival: Uint16Array,
    private sorted: Uint16Array,
    private count: number,
  ) {}

  static decode(packed: string): DistanceHistory {
    const arrival = decodeUint12(packed);
    return new DistanceHistory(arrival, Uint16Array.from(arrival).sort(), arrival.length);
  }

  encode(): string {
    return encodeUint12(this.codes());
  }

  get length(): number {
    return this.count;
  }

  /** The codes, oldest first (a view: valid until the next `push`). */
  codes(): Uint16Array {
    return this.arrival.subarray(0, this.count);
  }

  /** Appends a code, first dropping the oldest ones so that at most `cap` remain. */
  push(code: number, cap: number): void {
    if (this.count >= cap) {
      const dropped = this.count - cap + 1;
      for (let i = 0; i < dropped; i++) this.removeSorted(this.arrival[i] as number, this.count - i);
      this.arrival.copyWithin(0, dropped, this.count);
      this.count -= dropped;
    }
    if (this.arrival.length <= this.count) {
      const size = Math.max(cap, this.count + 1);
      const arrival = new Uint16Array(size);
      arrival.set(this.codes());
      const sorted = new Uint16Array(size);
      sorted.set(this.sorted.subarray(0, this.count));
      this.arrival = arrival;
      this.sorted = sorted;
    }
    this.arrival[this.count] = code;
    const at = this.lowerBound(code, this.count);
    this.sorted.copyWithin(at + 1, at, this.count);
    this.sorted[at] = code;
    this.count += 1;
  }

  /**
   * `testDistances` of prada.ts on these codes, to the bit: the same sums in arrival order, the same
   * outliers dropped, and the same multiset of values for Shapiro-Wilk, given in ascending order.
   */
  test(config: { minDistances: number; outlierSd: number }): number | undefined {
    const n = this.count;
    if (n <= config.minDistances) return undefined;
    const arrival = this.arrival;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += distances[arrival[i] as number] as number;
    const mean = sum / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += ((distances[arrival[i] as number] as number) - mean) ** 2;
    const sd = Math.sqrt(ss / n);
    if (keptScratch.length < n) keptScratch = new Float64Array(2 * n);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const x = distances[this.sorted[i] as number] as number;
      if (sd === 0 || Math.abs(x - mean) < config.outlierSd * sd) keptScratch[kept++] = x;
    }
    if (kept <= config.minDistances) return undefined;
    if (keptScratch[0] === keptScratch[kept - 1]) return undefined; // W is undefined for a constant sample
    return shapiroWilk(keptScratch.subarray(0, kept)).statistic;
  }

  /** The first place among the first `length` sorted codes not below `code`. */
  private lowerBound(code: number, length: number): number {
    let lo = 0;
    let hi = length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.sorted[mid] as number) < code) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Removes one `code` from the first `length` sorted codes. */
  private removeSorted(code: number, length: number): void {
    const at = this.lowerBound(code, length);
    this.sorted.copyWithin(at, at + 1, length);
  }
}
