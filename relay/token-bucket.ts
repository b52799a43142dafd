// Token buckets for per-connection rate limits.

/** A bucket that refills continuously at `ratePerSecond` up to `capacity`. */
export interface TokenBucket {
  /** Takes `amount` tokens if available; returns false (taking nothing) when the bucket is short. */
  take(amount: number): boolean;
}

/** Creates a full bucket. `now` is injectable for tests. */
export const createTokenBucket = (
  ratePerSecond: number,
  capacity: number,
  now: () => number = performance.now.bind(performance),
): TokenBucket => {
  let tokens = capacity;
  let last = now();
  return {
    take(amount) {
      const t = now();
      tokens = Math.min(capacity, tokens + ((t - last) / 1000) * ratePerSecond);
      last = t;
      if (tokens < amount) return false;
      tokens -= amount;
      return true;
    },
  };
};
