// Stock y-websocket clients syncing through the relay: both ways, late joiners, awareness and its cleanup.
import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningRelay } from '../../relay/index.js';
import { getMessages, sendMessage } from '../../shared/conversation.js';
import {
  connectProvider,
  decodeServerFrame,
  exportDoc,
  frames,
  mintToken,
  rawClient,
  synced,
  textsOf,
  useTestRelay,
  waitFor,
} from './helpers.js';

describe('relay sync', () => {
  const server = useTestRelay();
  let relay: RunningRelay;
  beforeAll(() => {
    relay = server.relay;
  });

  it('syncs two stock clients both ways and gives a late joiner the history', async () => {
    const a = connectProvider(relay, 'sync-both', await mintToken({ sub: 'ada' }));
    const b = connectProvider(relay, 'sync-both', await mintToken({ sub: 'bob' }));
    await Promise.all([synced(a), synced(b)]);
    sendMessage(a.doc, { userId: 'ada', role: 'write' }, { text: 'from a' });
    sendMessage(b.doc, { userId: 'bob', role: 'write' }, { text: 'from b' });
    await waitFor(() => getMessages(a.doc).length === 2 && getMessages(b.doc).length === 2, 5000, 'both messages at both clients');
    expect(getMessages(a.doc)).toEqual(getMessages(b.doc));

    const late = connectProvider(relay, 'sync-both', await mintToken({ sub: 'cy' }));
    await synced(late);
    await waitFor(() => getMessages(late.doc).length === 2, 5000, 'both messages at the late joiner');
    expect(textsOf(late.doc).sort()).toEqual(['from a', 'from b']);
    expect(getMessages(late.doc)).toEqual(getMessages(a.doc));
    for (const p of [a, b, late]) p.destroy();
  });

  it('propagates awareness and removes it for everyone as soon as the socket closes', async () => {
    const a = connectProvider(relay, 'presence', await mintToken({ sub: 'ada' }));
    const b = connectProvider(relay, 'presence', await mintToken({ sub: 'bob' }));
    await Promise.all([synced(a), synced(b)]);
    a.awareness.setLocalStateField('user', { id: 'ada', name: 'Ada' });
    await waitFor(() => b.awareness.getStates().get(a.doc.clientID)?.user?.id === 'ada', 5000, 'awareness at b');
    // Kill the socket without a goodbye: the relay must remove the state, not wait 30 s for the timeout.
    (a.ws as unknown as { terminate(): void }).terminate();
    a.shouldConnect = false;
    await waitFor(() => !b.awareness.getStates().has(a.doc.clientID), 3000, 'awareness removed at b');
    a.destroy();
    b.destroy();
  });

  it('refuses awareness states for foreign client ids or another user id', async () => {
    const b = connectProvider(relay, 'spoof', await mintToken({ sub: 'bob' }));
    await synced(b);
    const victimId = b.doc.clientID;
    b.awareness.setLocalStateField('user', { id: 'bob', name: 'Bob' });
    const mallory = rawClient(relay, 'spoof', { token: await mintToken({ sub: 'mallory', name: 'Mallory' }) });
    await mallory.opened;
    await waitFor(() => b.awareness.getStates().get(victimId)?.user?.id === 'bob', 5000, 'bob\'s own awareness state');
    mallory.send(
      frames.awareness([
        { clientID: victimId, clock: 999, state: { user: { id: 'bob', name: 'Evil Bob' } } }, // someone else's client id
        { clientID: 4242, clock: 1, state: { user: { id: 'bob', name: 'Fake Bob' } } }, // claims another user id
        { clientID: 4243, clock: 1, state: { user: { id: 'mallory', name: 'Mallory' } } }, // honest
      ]),
    );
    await waitFor(() => b.awareness.getStates().get(4243)?.user?.name === 'Mallory', 3000, 'honest state');
    expect(b.awareness.getStates().get(victimId)?.user?.name).toBe('Bob');
    expect(b.awareness.getStates().has(4242)).toBe(false);
    // Mallory cannot remove Bob's state either.
    mallory.send(frames.awareness([{ clientID: victimId, clock: 1000, state: null }]));
    mallory.send(frames.queryAwareness());
    await waitFor(() => mallory.frames.some((f) => decodeServerFrame(f).type === 'awareness'), 5000, 'mallory\'s honest entry forwarded back');
    expect(b.awareness.getStates().get(victimId)?.user?.name).toBe('Bob');
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toMatch(/parley_refusals_total\{reason="awareness-foreign-client"\} [1-9]/);
    expect(metrics).toMatch(/parley_refusals_total\{reason="awareness-identity"\} [1-9]/);
    mallory.ws.close();
    b.destroy();
  });

  describe('with a small sync frame limit', () => {
    // 30 writers on one connection (each its own client id): the client-id budget is raised out of the way.
    const small = useTestRelay({
      limits: { maxFrameBytes: 64 * 1024, maxSyncFrameBytes: 64 * 1024, maxBufferedBytes: 128 * 1024, byteBurst: 1 << 24, newClientIdsPerConnection: 100 },
    });
    it('splits a catch-up larger than the sync frame limit into several frames', async () => {
      // Many writers (as many sessions would be: one Yjs client id each), ~600 KB in total, each update under the frame limit.
      const writer = rawClient(small.relay, 'big', { token: await mintToken({ sub: 'writer' }) });
      await writer.opened;
      for (let w = 0; w < 30; w++) {
        const doc = new Y.Doc();
        doc.transact(() => {
          for (let i = 0; i < 20; i++) sendMessage(doc, { userId: 'writer', role: 'write' }, { text: `${w}:${i}:${'x'.repeat(1000)}` });
        });
        const update = Y.encodeStateAsUpdate(doc);
        expect(update.byteLength).toBeGreaterThan(20_000);
        writer.send(frames.update(update));
      }
      await waitFor(async () => getMessages(await exportDoc(small.relay, 'big')).length === 600, 5000, 'all written');
      expect(writer.closed).toBeUndefined();
      writer.ws.close();
      const reader = rawClient(small.relay, 'big', { token: await mintToken({ sub: 'reader' }) });
      await reader.opened;
      reader.send(frames.syncStep1(new Y.Doc()));
      const doc = new Y.Doc();
      await waitFor(() => {
        const sync = reader.frames.map(decodeServerFrame).filter((m) => m.type === 'sync' && m.step === 1);
        return sync.length > 0;
      }, 5000, 'the catch-up (sync step 2)');
      const received = reader.frames.map(decodeServerFrame);
      for (const m of received) if (m.type === 'sync' && m.step !== 0) Y.applyUpdate(doc, m.payload);
      expect(getMessages(doc).length).toBe(600);
      expect(new Set(textsOf(doc)).size).toBe(600);
      const largest = Math.max(...reader.frames.map((f) => f.byteLength));
      expect(largest).toBeLessThanOrEqual(64 * 1024);
      expect(received.filter((m) => m.type === 'sync' && m.step === 2).length).toBeGreaterThan(1);
      // The ~600 KB catch-up exceeds the 128 KB send budget: a catch-up is not a slow consumer.
      expect(reader.closed).toBeUndefined();
      reader.ws.close();
    });
  });
});
