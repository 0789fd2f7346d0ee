import { readFileSync } from "node:fs";
import { expect } from "vitest";

/** Reads a JSON fixture from test/fixtures (written by fixtures-gen/generate.py). */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")) as T;
}

export interface FixtureMeta {
  generator: string;
  scipy: string;
  numpy: string;
  python: string;
}

/** A data set described by fixtures-gen/generate.py's `spec()` instead of stored values. */
export interface GenSpec {
  gen: "xs32";
  shape: "uniform" | "irwinhall" | "square" | "discrete";
  n: number;
  seed: number;
  loc: number;
  scale: number;
  levels?: number;
  checksum: number;
}

/** Marsaglia xorshift32, bit-identical to XorShift32 in generate.py. */
export class XorShift32 {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  nextU32(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return x;
  }
  uniform(): number {
    return this.nextU32() / 4294967296;
  }
  /** Standard normal by Box-Muller (for TS-only tests; not mirrored in Python). */
  normal(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
}

export function generate(spec: GenSpec): number[] {
  const rng = new XorShift32(spec.seed);
  const out: number[] = new Array(spec.n);
  for (let i = 0; i < spec.n; i++) {
    let v: number;
    switch (spec.shape) {
      case "uniform":
        v = rng.uniform();
        break;
      case "irwinhall": {
        let s = 0;
        for (let k = 0; k < 12; k++) s += rng.uniform();
        v = s - 6;
        break;
      }
      case "square": {
        const u = rng.uniform();
        v = u * u;
        break;
      }
      case "discrete":
        v = Math.floor(rng.uniform() * (spec.levels as number));
        break;
    }
    out[i] = spec.loc + spec.scale * v;
  }
  let total = 0;
  for (const v of out) total += v;
  if (total !== spec.checksum) {
    throw new Error(
      `generator diverged from generate.py for seed ${spec.seed}: ${total} != ${spec.checksum}`,
    );
  }
  return out;
}

export function dataOf(x: number[] | GenSpec): number[] {
  return Array.isArray(x) ? x : generate(x);
}

/** Relative closeness |a - e| <= rtol·|e| + atol (atol defaults to 1e-300 for underflow). */
export function expectClose(actual: number, expected: number, rtol = 1e-9, atol = 1e-300, label = ""): void {
  const ok =
    (Number.isNaN(expected) && Number.isNaN(actual)) ||
    actual === expected ||
    Math.abs(actual - expected) <= rtol * Math.abs(expected) + atol;
  if (!ok) {
    const rel = Math.abs(actual - expected) / Math.abs(expected);
    expect.fail(`${label}: got ${actual}, expected ${expected} (relative error ${rel.toExponential(3)})`);
  }
}
