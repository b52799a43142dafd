// Recovery after a relay restart and a network loss (issue 14 bugs 1–3): honest states, and back in sync at once.
import { expect } from '@esm-bundle/chai';
import type { Conversation, ConnectionStatus, GetToken } from '../../client/index.js';
import {
  closeAll, cutNetwork, mintToken, networkInfo, open, relayInfo, signalBrowserOnline, startRelay, stopRelay, texts, uniqueRoom,
  uniqueUser, until,
} from './support/helpers.js';

/**
 * A token source like the app's (client/ui/app-session.ts): the last token is reused until a refresh is forced,
 * and minting fails as `fetch` does while the token endpoint (here: the relay's host) is down.
 */
function cachingTokens(user: { id: string; name: string }, room: string): GetToken {
  let cached: string | undefined;
  return async ({ forceRefresh }) => {
    if (cached && !forceRefresh) return cached;
    if (!(await relayInfo()).running) throw new TypeError('Failed to fetch');
    cached = await mintToken({ sub: user.id, name: user.name, rooms: { [room]: 'write' } });
    return cached;
  };
}

/** Every connection status `conversation` goes through from now on. */
function statusesOf(conversation: Conversation): ConnectionStatus[] {
  const seen: ConnectionStatus[] = [];
  conversation.subscribe((s) => {
    if (seen.at(-1) !== s.connection.status) seen.push(s.connection.status);
  });
  return seen;
}

for (const transport of ['mux', 'room'] as const) {
  /** The client's default reconnect schedule (the helpers' `open` uses a fast test one): these tests measure the real thing. */
  const defaults = { backoff: undefined, transport };

  describe(`client: reconnecting (${transport} endpoint)`, () => {
    afterEach(async () => {
      await closeAll();
      await cutNetwork(false);
      signalBrowserOnline(true);
      await startRelay();
    });

    it('retries a 4401 at once with a fresh token after a relay restart that changed its key, never showing auth-expired', async function () {
      this.timeout(90_000);
      const room = uniqueRoom('restart-key');
      const adaUser = uniqueUser('Ada');
      const bobUser = uniqueUser('Bob');
      const ada = await open(room, adaUser, { ...defaults, getToken: cachingTokens(adaUser, room) });
      const bob = await open(room, bobUser, { ...defaults, getToken: cachingTokens(bobUser, room) });
      await until(ada, (s) => s.connection.synced, 'ada synced');
      await until(bob, (s) => s.connection.synced, 'bob synced');
      await stopRelay();
      // An outage long enough for several failed attempts (the old client then backed off after the 4401).
      await until(ada, (s) => s.connection.status === 'offline' && s.connection.attempt >= 3, 'ada failed three attempts', 20_000);
      await until(bob, (s) => s.connection.status === 'offline' && s.connection.attempt >= 3, 'bob failed three attempts', 20_000);
      const adaStatuses = statusesOf(ada);
      const bobStatuses = statusesOf(bob);
      // A dev-mode relay generates a new key on every start: the cached tokens are refused (4401).
      await startRelay({ newSecret: true });
      const back = Date.now();
      await until(ada, (s) => s.connection.synced, 'ada synced after the restart', 40_000);
      await until(bob, (s) => s.connection.synced, 'bob synced after the restart', 40_000);
      console.log(`[measure ${transport}] relay restart (new key, outage of 3+ attempts): back in sync ${Date.now() - back} ms after the relay was up`);
      expect(adaStatuses, 'ada statuses').not.to.include('auth-expired');
      expect(bobStatuses, 'bob statuses').not.to.include('auth-expired');
      await ada.send('after the restart');
      await until(bob, () => texts(bob).includes('after the restart'), 'bob receives after the restart');
    });

    it('goes offline as soon as the browser does, makes no attempts meanwhile, and is back in sync once online (issue 14 bug 3)', async function () {
      this.timeout(90_000);
      const room = uniqueRoom('network-loss');
      const { url } = await networkInfo();
      const ada = await open(room, uniqueUser('Ada'), { ...defaults, relayUrl: url });
      const bob = await open(room, uniqueUser('Bob'), { ...defaults, relayUrl: url });
      await until(ada, (s) => s.connection.synced, 'ada synced');
      await until(bob, (s) => s.connection.synced, 'bob synced');
      // The network goes away silently (sockets stay half-open); the browser says so.
      await cutNetwork(true);
      signalBrowserOnline(false);
      await until(ada, (s) => s.connection.status === 'offline', 'ada shows offline after the browser went offline', 5_000);
      await until(bob, (s) => s.connection.status === 'offline', 'bob shows offline after the browser went offline', 5_000);
      expect(ada.getState().connection.retryAt, 'no retry timer while the browser is offline').to.equal(undefined);
      const opens = ada.stats.opens;
      const queued = await ada.send('written without network');
      expect(queued.status).to.equal('sending');
      await cutNetwork(false);
      signalBrowserOnline(true);
      const back = Date.now();
      await until(bob, () => texts(bob).includes('written without network'), 'bob receives what ada wrote offline', 40_000);
      console.log(`[measure ${transport}] network loss with the browser's signal: message delivered ${Date.now() - back} ms after the network was back`);
      expect(ada.stats.opens, 'one new socket after coming back').to.equal(opens + 1);
    });

    it('notices a half-open socket by its heartbeat when the browser says nothing, and recovers when the network returns', async function () {
      this.timeout(90_000);
      const room = uniqueRoom('half-open');
      const { url } = await networkInfo();
      const ada = await open(room, uniqueUser('Ada'), { ...defaults, relayUrl: url });
      await until(ada, (s) => s.connection.synced, 'ada synced');
      await cutNetwork(true);
      // y-websocket's own watchdog would take 30 s; the heartbeat gives up after 10 s of silence.
      await until(ada, (s) => s.connection.status !== 'connected', 'ada notices the dead socket', 25_000);
      await cutNetwork(false);
      const back = Date.now();
      await until(ada, (s) => s.connection.synced, 'ada synced after the network returned', 40_000);
      console.log(`[measure ${transport}] silent network loss (no browser signal): back in sync ${Date.now() - back} ms after the network was back`);
    });

    it('comes back within the 2 s backoff cap after a long relay outage', async function () {
      this.timeout(90_000);
      const room = uniqueRoom('outage');
      const ada = await open(room, uniqueUser('Ada'), defaults);
      await until(ada, (s) => s.connection.synced, 'ada synced');
      await stopRelay();
      const waiting = await until(ada, (s) => s.connection.status === 'offline' && s.connection.attempt >= 6 && s.connection, 'six failed attempts (past the old 8 s step)', 30_000) as { retryAt?: number };
      // The schedule never waits longer than the cap.
      expect(waiting.retryAt! - Date.now()).to.be.at.most(2_000);
      await startRelay();
      const back = Date.now();
      await until(ada, (s) => s.connection.synced, 'ada synced after the outage', 40_000);
      console.log(`[measure ${transport}] relay outage of 6+ attempts: back in sync ${Date.now() - back} ms after the relay was up`);
    });
  });
}
