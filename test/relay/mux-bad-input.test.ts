// The multiplexed endpoint under bad input: each refusal hits one document (or, for socket-level faults, the socket).
import { describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import { metric, mintToken, startTestRelay, tempDir, useTestRelay, waitFor } from './helpers.js';
import { muxClient, muxFrames, type MuxClient } from './mux-client.js';
import { readOnlyCheck } from '../../relay/index.js';

const test = useTestRelay({ checkUpdate: readOnlyCheck, limits: { upgradeTimeoutMs: 1000 } });

/** A client with one healthy document attached and synced, to show others are unaffected. */
const withHealthyDoc = async (rooms: Record<string, 'read' | 'write'> = { '*': 'write' }): Promise<MuxClient> => {
  const mux = muxClient(test.relay, await mintToken({ sub: 'ada', rooms }));
  await mux.opened;
  const healthy = mux.attach('healthy');
  await waitFor(() => healthy.synced, 5000, 'healthy document synced');
  return mux;
};

/** The healthy document still syncs a write through the relay (echoed to a second socket). */
const stillWorks = async (mux: MuxClient) => {
  const other = muxClient(test.relay, await mintToken({ sub: 'bob' }));
  await other.opened;
  const seen = other.attach('healthy');
  await waitFor(() => seen.synced, 5000, 'observer synced');
  const text = `still alive ${Math.random()}`;
  mux.docs.get('healthy')!.doc.getArray<string>('messages').push([text]);
  await waitFor(() => seen.doc.getArray('messages').toJSON().includes(text), 5000, 'healthy document still syncing');
  expect(mux.closed).toBeUndefined();
  other.ws.close();
};

describe('/sync bad input: per-document refusals', () => {
  it('refuses frames for a document never attached, and keeps the socket', async () => {
    const mux = await withHealthyDoc();
    mux.send(muxFrames.message('ghost', Uint8Array.of(3)));
    expect(await mux.refusalFor('ghost')).toEqual({ doc: 'ghost', code: 4400, reason: 'not attached' });
    await stillWorks(mux);
    mux.ws.close();
  });

  it('refuses a document the token does not grant; the others are unaffected', async () => {
    const mux = await withHealthyDoc({ healthy: 'write' });
    mux.attach('secret');
    expect(await mux.refusalFor('secret')).toEqual({ doc: 'secret', code: 4403, reason: 'no access to this room' });
    await stillWorks(mux);
    mux.ws.close();
  });

  it('detaches a document attached twice with 4400 already attached', async () => {
    const mux = await withHealthyDoc();
    const twice = mux.attach('twice');
    await waitFor(() => twice.synced, 5000, 'first attach synced');
    mux.send(muxFrames.attach('twice'));
    expect(await mux.refusalFor('twice')).toEqual({ doc: 'twice', code: 4400, reason: 'already attached' });
    // It really is detached now.
    mux.send(muxFrames.message('twice', Uint8Array.of(3)));
    await waitFor(() => mux.refused.filter((r) => r.doc === 'twice').length === 2, 5000, 'second refusal');
    expect(mux.refused[1]).toEqual({ doc: 'twice', code: 4400, reason: 'not attached' });
    await stillWorks(mux);
    mux.ws.close();
  });

  it('refuses malformed document names', async () => {
    const mux = await withHealthyDoc();
    for (const name of ['..', '', 'a/b', 'x'.repeat(129), 'café']) {
      mux.send(muxFrames.attach(name));
      expect(await mux.refusalFor(name)).toEqual({ doc: name, code: 4400, reason: 'invalid room name' });
    }
    await stillWorks(mux);
    mux.ws.close();
  });

  it('detaches only the document whose y-websocket message is malformed', async () => {
    const mux = await withHealthyDoc();
    const bad = mux.attach('garbled');
    await waitFor(() => bad.synced, 5000, 'synced');
    mux.send(muxFrames.message('garbled', Uint8Array.of(0, 9, 1)));
    expect(await mux.refusalFor('garbled')).toEqual({ doc: 'garbled', code: 4400, reason: 'malformed frame' });
    await stillWorks(mux);
    mux.ws.close();
  });

  it('bounds thousands of attach/detach in a loop: attaches beyond the budget are refused 4429, rooms loaded stay bounded', async () => {
    const data = tempDir();
    const relay = await startTestRelay({ dataDir: data.dir, checkUpdate: readOnlyCheck, limits: { muxDocsPerSocket: 50, muxAttachesPerMinute: 60 } });
    try {
      const mux = muxClient(relay, await mintToken({ sub: 'looper' }));
      await mux.opened;
      await waitFor(() => mux.authOks.length === 1, 5000, 'authenticated');
      for (let i = 0; i < 2000; i++) {
        mux.send(muxFrames.attach(`loop-${i}`));
        mux.send(muxFrames.detach(`loop-${i}`));
      }
      await waitFor(() => mux.refused.length >= 1900, 20_000, 'attach refusals');
      const refusals = new Set(mux.refused.map((r) => `${r.code} ${r.reason}`));
      expect([...refusals]).toEqual(['4429 too many attaches']);
      // At most the burst (plus what refilled meanwhile) was ever loaded.
      expect(await metric(relay, 'parley_rooms_loaded')).toBeLessThanOrEqual(80);
      expect(mux.closed).toBeUndefined();
      expect((await fetch(`${relay.url}/healthz`)).status).toBe(200);
      mux.ws.close();
    } finally {
      await relay.close();
      data.cleanup();
    }
  }, 60_000);
});

describe('/sync: the room side ends one document only', () => {
  it('refuses a deleted room with 4404 and keeps the socket', async () => {
    const mux = await withHealthyDoc();
    const doomed = mux.attach('doomed');
    await waitFor(() => doomed.synced, 5000, 'synced');
    const admin = await mintToken({ sub: 'admin', rooms: { doomed: 'admin' } });
    const res = await fetch(`${test.relay.url}/rooms/doomed`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    expect(await mux.refusalFor('doomed')).toEqual({ doc: 'doomed', code: 4404, reason: 'room deleted' });
    await stillWorks(mux);
    mux.ws.close();
  });
});

describe('/sync bad input: socket-level faults close the socket', () => {
  it('closes a socket that does not read what its documents receive (one bounded queue per socket)', async () => {
    const data = tempDir();
    const relay = await startTestRelay({
      dataDir: data.dir,
      checkUpdate: readOnlyCheck,
      limits: { maxBufferedBytes: 256 * 1024, bytesPerSecond: 1 << 30, byteBurst: 1 << 30, muxBytesPerSecond: 1 << 30 },
    });
    try {
      const slow = muxClient(relay, await mintToken({ sub: 'slow' }));
      await slow.opened;
      const docs = ['q-1', 'q-2'].map((name) => slow.attach(name));
      await waitFor(() => docs.every((d) => d.synced), 5000, 'synced');
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const writer = muxClient(relay, await mintToken({ sub: 'writer' }));
      await writer.opened;
      const targets = ['q-1', 'q-2'].map((name) => writer.attach(name));
      await waitFor(() => targets.every((d) => d.synced), 5000, 'writer synced');
      const blob = 'z'.repeat(100_000);
      for (let i = 0; i < 200 && (await metric(relay, 'parley_connections')) === 2; i++) {
        targets[i % 2]!.doc.getArray<string>('messages').push([`${i}${blob}`]);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await waitFor(async () => (await fetch(`${relay.url}/metrics`).then((r) => r.text())).includes('parley_refusals_total{reason="slow-consumer"} 1'), 20_000, 'slow consumer closed');
      expect(writer.closed).toBeUndefined();
      writer.ws.close();
      slow.ws.terminate();
    } finally {
      await relay.close();
      data.cleanup();
    }
  }, 60_000);

  it('closes the socket when a refreshed token is for another user', async () => {
    const mux = await withHealthyDoc();
    mux.send(muxFrames.auth(await mintToken({ sub: 'mallory' })));
    expect(await mux.closedWith()).toEqual({ code: 4403, reason: 'token is for another user' });
  });

  it('closes the socket on a stale token, first or as a refresh', async () => {
    const first = muxClient(test.relay, await mintToken({ sub: 'ada', ttl: -60 }));
    expect(await first.closedWith()).toEqual({ code: 4401, reason: 'token expired' });
    const mux = await withHealthyDoc();
    mux.send(muxFrames.auth(await mintToken({ sub: 'ada', ttl: -60 })));
    expect(await mux.closedWith()).toEqual({ code: 4401, reason: 'token expired' });
  });

  it('closes a socket that sends no token in time, or anything before it', async () => {
    const silent = muxClient(test.relay);
    expect(await silent.closedWith()).toEqual({ code: 4401, reason: 'token required' });
    const eager = muxClient(test.relay);
    await eager.opened;
    eager.send(muxFrames.attach('healthy'));
    expect(await eager.closedWith()).toEqual({ code: 4401, reason: 'token required' });
  });

  it('closes a socket that floods auth frames (each costs a signature check) with 4429', async () => {
    const mux = await withHealthyDoc();
    const again = await mintToken({ sub: 'ada' });
    for (let i = 0; i < 20; i++) mux.send(muxFrames.auth(again));
    expect(await mux.closedWith()).toEqual({ code: 4429, reason: 'rate limit exceeded' });
    expect(mux.authOks.length).toBeLessThanOrEqual(5);
  });

  it('closes the socket on a frame that does not parse at the outer level', async () => {
    const mux = await withHealthyDoc();
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 42);
    mux.send(encoding.toUint8Array(e));
    expect(await mux.closedWith()).toEqual({ code: 4400, reason: 'malformed frame' });
  });
});
