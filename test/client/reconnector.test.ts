// The Reconnector: token fetching and the close policy applied to a link (no socket needed: `open` is recorded).
import { describe, expect, it } from 'vitest';
import { Reconnector, type LinkState } from '../../client/connection/reconnector.js';
import { TokenRefusedError } from '../../client/connection/token-refused-error.js';
import type { GetToken } from '../../client/connection/connection-state.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (sub: string, ttlSeconds = 3600): string =>
  `${b64({ alg: 'HS256' })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + ttlSeconds, rooms: { '*': 'write' } })}.sig`;

/** Polls until `check` holds (these tests use millisecond backoffs, so this is quick). */
async function waitUntil(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function harness(getToken: GetToken) {
  const opened: string[] = [];
  const states: LinkState[] = [];
  const requests: boolean[] = [];
  let stopped = 0;
  const link = new Reconnector({
    userId: 'ada',
    getToken: (request) => {
      requests.push(request.forceRefresh);
      return getToken(request);
    },
    room: () => 'team',
    backoff: { baseMs: 4, maxMs: 8 },
    open: (token) => opened.push(token),
    refreshed: () => undefined,
    stop: () => stopped++,
    state: (state) => states.push(state),
  });
  return { link, opened, states, requests, stopped: () => stopped };
}

describe('Reconnector', () => {
  it('fetches a token, then opens with it', async () => {
    const token = jwt('ada');
    const h = harness(async () => token);
    await h.link.connect();
    expect(h.opened).toEqual([token]);
    expect(h.requests).toEqual([false]);
    expect(h.link.state.status).toBe('connecting');
    h.link.dispose();
  });

  it('shows a getToken network failure as offline and retries on its own', async () => {
    let fail = true;
    const h = harness(async () => {
      if (fail) throw new TypeError('Failed to fetch');
      return jwt('ada');
    });
    await h.link.connect();
    expect(h.link.state).toMatchObject({ status: 'offline', attempt: 1, reason: 'getToken failed: Failed to fetch' });
    expect(h.link.state.retryAt).toBeTypeOf('number');
    fail = false;
    await waitUntil(() => h.opened.length === 1, 'an open after the retry');
    expect(h.states.map((s) => s.status)).not.toContain('auth-expired');
    h.link.dispose();
  });

  it('shows a refusal by the identity provider as auth-expired', async () => {
    const h = harness(async () => {
      throw new TokenRefusedError('signed out');
    });
    await h.link.connect();
    expect(h.link.state).toMatchObject({ status: 'auth-expired', reason: 'getToken failed: signed out' });
    h.link.dispose();
  });

  it('stops for a token of another user without opening', async () => {
    const h = harness(async () => jwt('mallory'));
    await h.link.connect();
    expect(h.opened).toEqual([]);
    expect(h.stopped()).toBe(1);
    expect(h.link.state.status).toBe('forbidden');
    expect(h.link.state.reason).toContain('mallory');
    h.link.retryNow();
    expect(h.link.final).toBe(true);
    h.link.dispose();
  });

  it('retries the first 4401 at once with a forced refresh even after failed attempts, and backs off on a second', async () => {
    const h = harness(async () => jwt('ada'));
    await h.link.connect();
    for (let i = 0; i < 4; i++) h.link.closed({ cause: 'socket' }, {}); // an outage: attempts grow
    expect(h.link.state.attempt).toBe(4);
    h.link.closed({ cause: 'socket', code: 4401 }, { code: 4401 });
    expect(h.link.state.status).toBe('connecting');
    await waitUntil(() => h.requests.at(-1) === true && h.opened.length >= 2, 'a forced refresh and an open');
    h.link.closed({ cause: 'socket', code: 4401 }, { code: 4401 });
    expect(h.link.state.status).toBe('auth-expired');
    expect(h.link.state.retryAt).toBeTypeOf('number');
    h.link.dispose();
  });

  it('starts counting again once the link works', async () => {
    const h = harness(async () => jwt('ada'));
    await h.link.connect();
    h.link.closed({ cause: 'socket', code: 1006 }, { code: 1006 });
    expect(h.link.state.attempt).toBe(1);
    h.link.succeeded();
    expect(h.link.state).toEqual({ status: 'connected', attempt: 0 });
    h.link.closed({ cause: 'socket', code: 4403 }, { code: 4403, reason: 'no access to this room' });
    expect(h.link.state).toMatchObject({ status: 'forbidden', code: 4403, reason: 'no access to this room' });
    expect(h.link.state.retryAt).toBeUndefined();
    h.link.dispose();
  });
});
