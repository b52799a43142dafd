// What to do after a socket closes (retry now, retry later, refresh the token, give up): a pure function of the close.
import { CloseCode } from '../../shared/close-codes.js';
import { backoffDelay, DEFAULT_BACKOFF, RATE_LIMITED_BACKOFF, type BackoffOptions } from '../backoff.js';

/** What the policy knows about a close (or a failed attempt to get a token). */
export interface CloseInput {
  /**
   * The relay's close code; undefined when there was no close frame (relay unreachable, network gone, killed
   * relay) or for `token-failed` / `token-refused`.
   */
  code?: number;
  /** `socket`: a socket closed. `token-failed`: getToken threw an ordinary error (network). `token-refused`: getToken threw `TokenRefusedError`. */
  cause: 'socket' | 'token-failed' | 'token-refused';
  /** The close was our own, to move the session onto a socket with a fresh token. */
  swapping: boolean;
  /** Failed attempts since the last successful sync (picks the backoff step). */
  attempt: number;
  /** 4401 closes in a row since the last successful sync (0 for the first one). */
  unauthorizedInARow: number;
  /** The browser says there is no network (`navigator.onLine === false`): wait for `online` instead of a timer. */
  browserOffline: boolean;
}

export type CloseDecision =
  /** 4403/4404: final, no retry. */
  | { action: 'stop'; status: 'forbidden' | 'deleted' }
  /**
   * Try again after `delayMs` (undefined: not on a timer, only when the browser reports `online` or `reconnect()`
   * is called), fetching a fresh token first when `forceRefresh`. `countsAsFailure`: the attempt counter grows.
   */
  | { action: 'retry'; status: 'connecting' | 'offline' | 'auth-expired'; delayMs: number | undefined; forceRefresh: boolean; countsAsFailure: boolean };

export interface PolicyOptions {
  backoff?: BackoffOptions;
  rateLimitedBackoff?: BackoffOptions;
  random?: () => number;
}

/**
 * The close policy, one row per kind of close:
 * - our own token swap → reconnect at once with the token already fetched;
 * - 4403 forbidden, 4404 deleted → stop;
 * - 4401 → the first in a row retries at once with a forced token refresh, whatever failed before (after an
 *   outage the old token has usually expired); another 4401 right after a fresh token backs off, `auth-expired`;
 * - getToken refused (`TokenRefusedError`: the identity provider said no) → `auth-expired`, backoff, refresh;
 * - getToken failed otherwise (network) → `offline`, backoff, refresh on the next try;
 * - 4429 → `offline`, the slower rate-limit schedule;
 * - anything else (no close frame, 1006, 1011, 1012 restart, 1013, 4400, 4413) → `offline`, backoff;
 * - whatever the row, while the browser says it is offline no timer runs: the `online` event retries.
 */
export function decideAfterClose(input: CloseInput, options: PolicyOptions = {}): CloseDecision {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const random = options.random ?? Math.random;
  const later = (schedule: BackoffOptions): number | undefined =>
    input.browserOffline ? undefined : backoffDelay(input.attempt, schedule, random);
  if (input.cause === 'token-refused') {
    return { action: 'retry', status: 'auth-expired', delayMs: later(backoff), forceRefresh: true, countsAsFailure: true };
  }
  if (input.cause === 'token-failed') {
    return { action: 'retry', status: 'offline', delayMs: later(backoff), forceRefresh: true, countsAsFailure: true };
  }
  if (input.swapping) return { action: 'retry', status: 'connecting', delayMs: 0, forceRefresh: false, countsAsFailure: false };
  switch (input.code) {
    case CloseCode.forbidden:
      return { action: 'stop', status: 'forbidden' };
    case CloseCode.roomDeleted:
      return { action: 'stop', status: 'deleted' };
    case CloseCode.unauthorized:
      if (input.unauthorizedInARow === 0 && !input.browserOffline) {
        return { action: 'retry', status: 'connecting', delayMs: 0, forceRefresh: true, countsAsFailure: false };
      }
      return { action: 'retry', status: 'auth-expired', delayMs: later(backoff), forceRefresh: true, countsAsFailure: true };
    case CloseCode.rateLimited:
      return { action: 'retry', status: 'offline', delayMs: later(options.rateLimitedBackoff ?? RATE_LIMITED_BACKOFF), forceRefresh: false, countsAsFailure: true };
    default:
      return { action: 'retry', status: 'offline', delayMs: later(backoff), forceRefresh: false, countsAsFailure: true };
  }
}
