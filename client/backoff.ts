// Reconnect delays: exponential backoff with "equal jitter", so that clients dropped together do not return together.

export interface BackoffOptions {
  /** Delay of the first retry before jitter, in ms. */
  baseMs: number;
  /** Upper bound of any delay, in ms. */
  maxMs: number;
}

/**
 * 500 ms doubling to 2 s: a client notices within 2 s that the relay is reachable again, whatever the outage
 * lasted. An attempt against an unreachable relay is one refused TCP connection, cheap on both sides, and
 * while the browser reports no network no attempt is made at all (the `online` event retries).
 */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 2_000 };

/** After a 4429 the relay asked for patience: 4 s doubling to 30 s. */
export const RATE_LIMITED_BACKOFF: BackoffOptions = { baseMs: 4_000, maxMs: 30_000 };

/** The rate-limited schedule for an application-given backoff (8× the base, 15× the cap), or the default one. */
export const rateLimitedSchedule = (backoff?: BackoffOptions): BackoffOptions =>
  backoff ? { baseMs: backoff.baseMs * 8, maxMs: backoff.maxMs * 15 } : RATE_LIMITED_BACKOFF;

/**
 * The delay before retry number `attempt` (0 = first retry): half of the capped exponential step is fixed,
 * the other half random. Half fixed keeps a lower bound (no hot loop); half random spreads a crowd of
 * clients that lost the relay at the same moment (the stock provider's schedule has no jitter).
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
}
