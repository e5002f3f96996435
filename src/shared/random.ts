/**
 * The project's one deterministic PRNG (mulberry32): small, fast, good enough for synthetic data and k-means seeding,
 * and identical on every platform, so the same seed gives the same demo data, the same simulated live feed and the
 * same clusters in tests and benchmarks. Not for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SeededDraws {
  next: () => number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(xs: readonly T[]): T;
  /** One of xs, with probability proportional to its weight. */
  weighted<T>(xs: ReadonlyArray<readonly [T, number]>): T;
}

/** The usual draws over seededRandom(seed); each takes the same number of values from the stream as before. */
export function seededDraws(seed: number): SeededDraws {
  const next = seededRandom(seed);
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    weighted: (xs) => {
      const total = xs.reduce((s, [, w]) => s + w, 0);
      let r = next() * total;
      for (const [x, w] of xs) if ((r -= w) < 0) return x;
      return xs[xs.length - 1][0];
    },
  };
}
