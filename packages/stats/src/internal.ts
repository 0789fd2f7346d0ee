/**
 * Small numeric helpers shared by the modules of this package. Not exported from the index.
 */

/** Sorted copy of `values` as a Float64Array (numeric order). Throws on NaN. */
export function sortedCopy(values: ArrayLike<number>, what: string): Float64Array {
  const out = Float64Array.from(values as ArrayLike<number>);
  for (let i = 0; i < out.length; i++) {
    if (Number.isNaN(out[i] as number)) throw new RangeError(`${what} contains NaN`);
  }
  out.sort();
  return out;
}

/** Round half to even, like numpy's `np.round`. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

export function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

/** Neumaier-compensated sum of `terms[i]` for i in [0, n). */
export class CompensatedSum {
  private s = 0;
  private c = 0;
  add(x: number): void {
    const t = this.s + x;
    if (Math.abs(this.s) >= Math.abs(x)) this.c += this.s - t + x;
    else this.c += x - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}

export function assertFiniteNonNegative(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${what}[${i}] must be a finite number >= 0`);
  }
}

/** Splitter for Dekker's exact product (2^27 + 1). */
const SPLITTER = 134217729;

/**
 * Exact product a*b = hi + lo (Dekker / Veltkamp), valid when no overflow occurs.
 * Returns lo; hi is simply a*b rounded.
 */
export function twoProductLow(a: number, b: number, hi: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return al * bl - (hi - ah * bh - al * bh - ah * bl);
}
