// A small seeded random generator (mulberry32) for randomized tests, so a failing seed can be replayed.

/** Deterministic random numbers from `seed`: `next()` in [0, 1), `int(n)` in [0, n), `pick(items)`. */
export function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(items: T[]): T => items[int(items.length)]! };
}
