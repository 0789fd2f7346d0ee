/**
 * mulberry32: a small, fast, seeded generator of uniforms in [0, 1). Reservoirs, synthetic traffic
 * and tests use it so that every run with the same seed makes the same choices.
 */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One normal draw (Box-Muller) from a uniform source in [0, 1). */
export function normalDraw(random: () => number, mean = 0, sd = 1): number {
  const u = 1 - random();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
