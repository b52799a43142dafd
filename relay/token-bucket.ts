// Token-bucket arithmetic for per-connection rate limits; the connection holds the buckets' state as plain fields.

/**
 * The tokens in a bucket that held `tokens` `elapsedMs` ago and refills continuously at `ratePerSecond`,
 * up to `capacity`. Refilling in several steps gives the same result as in one, so buckets that share a
 * clock reading can be refilled together, each whenever convenient.
 */
export const refill = (tokens: number, capacity: number, ratePerSecond: number, elapsedMs: number): number =>
  Math.min(capacity, tokens + (elapsedMs / 1000) * ratePerSecond);
