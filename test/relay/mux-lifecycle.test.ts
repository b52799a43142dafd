// /sync over time: token expiry (and refresh before it), shutdown, heartbeats, and both endpoints on one relay.
import { describe, expect, it } from 'vitest';
import { metric, mintToken, startTestRelay, tempDir, waitFor } from './helpers.js';
import { muxClient, muxFrames } from './mux-client.js';
import { readOnlyCheck } from '../../relay/index.js';

describe('/sync lifecycle', () => {
  it('closes the socket 4401 when its token expires, unless it was refreshed in band', async () => {
    const data = tempDir();
    const relay = await startTestRelay({ dataDir: data.dir, checkUpdate: readOnlyCheck });
    try {
      const expiring = muxClient(relay, await mintToken({ sub: 'ada', ttl: 2 }));
      const refreshed = muxClient(relay, await mintToken({ sub: 'ada', ttl: 2 }));
      await Promise.all([expiring.opened, refreshed.opened]);
      const a = expiring.attach('exp-a');
      const b = refreshed.attach('exp-a');
      await waitFor(() => a.synced && b.synced, 5000, 'synced');
      refreshed.send(muxFrames.auth(await mintToken({ sub: 'ada', ttl: 3600 })));
      await waitFor(() => refreshed.authOks.length === 2, 5000, 'refresh accepted');
      expect(await expiring.closedWith(15_000)).toEqual({ code: 4401, reason: 'token expired' });
      expect(refreshed.closed).toBeUndefined();
      // Still syncing after the first token's expiry.
      b.doc.getArray<string>('messages').push(['after expiry']);
      expect(refreshed.authOks[1]!.exp).toBeGreaterThan(refreshed.authOks[0]!.exp);
      expect(refreshed.closed).toBeUndefined();
      refreshed.ws.close();
    } finally {
      await relay.close();
      data.cleanup();
    }
  }, 30_000);

  it('refuses documents 1012 and closes the socket 1012 on shutdown; silent sockets are reaped by heartbeats', async () => {
    const data = tempDir();
    const relay = await startTestRelay({ dataDir: data.dir, checkUpdate: readOnlyCheck, limits: { heartbeatIntervalMs: 200, heartbeatMisses: 2 } });
    const mux = muxClient(relay, await mintToken({ sub: 'ada' }));
    await mux.opened;
    const doc = mux.attach('bye');
    await waitFor(() => doc.synced, 5000, 'synced');
    // A /sync socket that stops answering pings is cut like any other.
    const WebSocket = (await import('ws')).default;
    const silent = new WebSocket(`${relay.url.replace('http', 'ws')}/sync`, { autoPong: false });
    await new Promise((resolve) => silent.once('open', resolve));
    silent.send(muxFrames.auth(await mintToken({ sub: 'quiet' })));
    const silentClosed = new Promise((resolve) => silent.once('close', resolve));
    await silentClosed;
    expect(await metric(relay, 'parley_connections')).toBe(1);
    await relay.close();
    expect(await mux.refusalFor('bye')).toEqual({ doc: 'bye', code: 1012, reason: 'relay shutting down' });
    expect(await mux.closedWith()).toEqual({ code: 1012, reason: 'relay shutting down' });
    data.cleanup();
  }, 30_000);
});
