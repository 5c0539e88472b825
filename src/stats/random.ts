/**
 * Seeded pseudo-random numbers for reproducible simulations (tests, benchmarks, bootstrap).
 * Each generator holds its own state; nothing is module-level.
 */

/** Uniform [0, 1) generator: mulberry32 (T. Ettinger), 32-bit state, period 2^32. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal generator (Box-Muller on a seeded mulberry32). */
export function normalGenerator(seed: number): () => number {
  const u = mulberry32(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u1 = u();
    while (u1 === 0) u1 = u();
    const r = Math.sqrt(-2 * Math.log(u1));
    const th = 2 * Math.PI * u();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
}

/** n draws of N(mu, sigma^2). */
export function normalArray(n: number, seed: number, mu = 0, sigma = 1): Float64Array {
  const g = normalGenerator(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mu + sigma * g();
  return out;
}
