// The close policy as a table: every kind of close, and what the connection does next.
import { describe, expect, it } from 'vitest';
import { decideAfterClose, type CloseInput, type CloseDecision } from '../../client/connection/close-policy.js';
import { DEFAULT_BACKOFF, RATE_LIMITED_BACKOFF } from '../../client/backoff.js';

const base: CloseInput = { cause: 'socket', swapping: false, attempt: 0, unauthorizedInARow: 0, browserOffline: false };
/** random() = 1: every delay is the full step, so the table can name exact figures. */
const decide = (input: Partial<CloseInput>): CloseDecision => decideAfterClose({ ...base, ...input }, { random: () => 1 });

describe('decideAfterClose', () => {
  const rows: Array<[string, Partial<CloseInput>, CloseDecision]> = [
    ['our own token swap: at once, no refresh', { swapping: true, code: 1000 },
      { action: 'retry', status: 'connecting', delayMs: 0, forceRefresh: false, countsAsFailure: false }],
    ['4403 forbidden: stop', { code: 4403 }, { action: 'stop', status: 'forbidden' }],
    ['4404 deleted: stop', { code: 4404 }, { action: 'stop', status: 'deleted' }],
    ['4403 even mid-outage: stop', { code: 4403, attempt: 7 }, { action: 'stop', status: 'forbidden' }],
    ['first 4401: at once with a fresh token', { code: 4401 },
      { action: 'retry', status: 'connecting', delayMs: 0, forceRefresh: true, countsAsFailure: false }],
    ['first 4401 after an outage (issue 14 bug 1): still at once', { code: 4401, attempt: 9 },
      { action: 'retry', status: 'connecting', delayMs: 0, forceRefresh: true, countsAsFailure: false }],
    ['second 4401 in a row: a fresh token was refused, back off', { code: 4401, unauthorizedInARow: 1, attempt: 1 },
      { action: 'retry', status: 'auth-expired', delayMs: 1_000, forceRefresh: true, countsAsFailure: true }],
    ['no close frame (relay unreachable or killed)', { attempt: 0 },
      { action: 'retry', status: 'offline', delayMs: 500, forceRefresh: false, countsAsFailure: true }],
    ['1006 after many attempts: capped at 2 s', { code: 1006, attempt: 20 },
      { action: 'retry', status: 'offline', delayMs: DEFAULT_BACKOFF.maxMs, forceRefresh: false, countsAsFailure: true }],
    ['1012 relay restarting', { code: 1012, attempt: 1 },
      { action: 'retry', status: 'offline', delayMs: 1_000, forceRefresh: false, countsAsFailure: true }],
    ['1011 room unavailable', { code: 1011 }, { action: 'retry', status: 'offline', delayMs: 500, forceRefresh: false, countsAsFailure: true }],
    ['1013 try again later', { code: 1013 }, { action: 'retry', status: 'offline', delayMs: 500, forceRefresh: false, countsAsFailure: true }],
    ['4400 malformed frame', { code: 4400 }, { action: 'retry', status: 'offline', delayMs: 500, forceRefresh: false, countsAsFailure: true }],
    ['4413 frame too large', { code: 4413 }, { action: 'retry', status: 'offline', delayMs: 500, forceRefresh: false, countsAsFailure: true }],
    ['4429 rate limited: the slower schedule', { code: 4429 },
      { action: 'retry', status: 'offline', delayMs: RATE_LIMITED_BACKOFF.baseMs, forceRefresh: false, countsAsFailure: true }],
    ['4429 many times: capped at 30 s', { code: 4429, attempt: 12 },
      { action: 'retry', status: 'offline', delayMs: RATE_LIMITED_BACKOFF.maxMs, forceRefresh: false, countsAsFailure: true }],
    ['getToken refused by the identity provider (TokenRefusedError): auth-expired', { cause: 'token-refused' },
      { action: 'retry', status: 'auth-expired', delayMs: 500, forceRefresh: true, countsAsFailure: true }],
    ['getToken failed otherwise (network, issue 14 bug 2): offline', { cause: 'token-failed' },
      { action: 'retry', status: 'offline', delayMs: 500, forceRefresh: true, countsAsFailure: true }],
    ['browser offline: no timer, wait for `online`', { code: 1006, browserOffline: true },
      { action: 'retry', status: 'offline', delayMs: undefined, forceRefresh: false, countsAsFailure: true }],
    ['browser offline and 4401: no timer either', { code: 4401, browserOffline: true },
      { action: 'retry', status: 'auth-expired', delayMs: undefined, forceRefresh: true, countsAsFailure: true }],
    ['browser offline and getToken failed', { cause: 'token-failed', browserOffline: true },
      { action: 'retry', status: 'offline', delayMs: undefined, forceRefresh: true, countsAsFailure: true }],
    ['browser offline does not soften a 4403', { code: 4403, browserOffline: true }, { action: 'stop', status: 'forbidden' }],
  ];
  for (const [name, input, expected] of rows) {
    it(name, () => expect(decide(input)).toEqual(expected));
  }

  it('keeps half of each delay random so a crowd spreads out', () => {
    const delays = new Set(Array.from({ length: 50 }, () => {
      const decision = decideAfterClose({ ...base, attempt: 2 });
      return decision.action === 'retry' ? decision.delayMs : -1;
    }));
    expect(delays.size).toBeGreaterThan(10);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(1_000);
  });

  it('uses the backoff the application gives', () => {
    const decision = decideAfterClose({ ...base, attempt: 3 }, { backoff: { baseMs: 100, maxMs: 1_000 }, random: () => 0 });
    expect(decision).toMatchObject({ action: 'retry', delayMs: 400 });
  });
});
