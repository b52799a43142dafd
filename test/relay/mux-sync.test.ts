// The multiplexed endpoint's happy paths: many documents on one socket, alongside stock per-room clients of the same rooms.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectProvider, mintToken, synced, useTestRelay, waitFor } from './helpers.js';
import { muxClient, muxFrames } from './mux-client.js';
import { readOnlyCheck } from '../../relay/index.js';

const test = useTestRelay({ checkUpdate: readOnlyCheck });

describe('/sync: one socket, many documents', () => {
  it('syncs two documents on one socket with stock per-room clients of the same rooms, both ways', async () => {
    const { relay } = test;
    const token = await mintToken({ sub: 'ada', rooms: { 'mux-*': 'write' } });
    const stockA = connectProvider(relay, 'mux-a', await mintToken({ sub: 'bob', rooms: { 'mux-a': 'write' } }));
    const stockB = connectProvider(relay, 'mux-b', await mintToken({ sub: 'bob', rooms: { 'mux-b': 'write' } }));
    await Promise.all([synced(stockA), synced(stockB)]);
    stockA.doc.getArray<string>('messages').push(['a from stock']);
    stockB.doc.getArray<string>('messages').push(['b from stock']);

    const mux = muxClient(relay, token);
    await mux.opened;
    const a = mux.attach('mux-a');
    const b = mux.attach('mux-b');
    await waitFor(() => a.synced && b.synced, 5000, 'both documents synced');
    expect(mux.authOks).toEqual([{ userId: 'ada', exp: expect.any(Number) }]);
    await waitFor(() => a.doc.getArray('messages').length === 1 && b.doc.getArray('messages').length === 1, 5000, 'history');
    expect(a.doc.getArray('messages').toJSON()).toEqual(['a from stock']);
    expect(b.doc.getArray('messages').toJSON()).toEqual(['b from stock']);

    // Live, both ways, each document to its own room only.
    a.doc.getArray<string>('messages').push(['a from mux']);
    b.doc.getArray<string>('messages').push(['b from mux']);
    await waitFor(() => stockA.doc.getArray('messages').length === 2 && stockB.doc.getArray('messages').length === 2, 5000, 'stock clients got mux writes');
    expect(stockA.doc.getArray('messages').toJSON()).toContain('a from mux');
    expect(stockA.doc.getArray('messages').toJSON()).not.toContain('b from mux');
    stockB.doc.getArray<string>('messages').push(['b again']);
    await waitFor(() => b.doc.getArray('messages').length === 3, 5000, 'mux got a live stock write');
    expect(a.doc.getArray('messages').length).toBe(2);

    // App-level ping.
    mux.send(muxFrames.ping());
    await waitFor(() => mux.pongs === 1, 5000, 'pong');
    expect(mux.closed).toBeUndefined();
    mux.ws.close();
    stockA.destroy();
    stockB.destroy();
  });

  it('sends durable acks per document, only for documents attached with acks', async () => {
    const { relay } = test;
    const mux = muxClient(relay, await mintToken({ sub: 'ada', rooms: { 'acks-*': 'write' } }));
    await mux.opened;
    const withAcks = mux.attach('acks-yes', { acks: true });
    const without = mux.attach('acks-no');
    await waitFor(() => withAcks.synced && without.synced, 5000, 'synced');
    withAcks.doc.getArray<string>('messages').push(['durable?']);
    without.doc.getArray<string>('messages').push(['no acks here']);
    const clock = Y.encodeStateVector(withAcks.doc);
    const mine = withAcks.doc.clientID;
    await waitFor(() => withAcks.acks.some((sv) => (sv.get(mine) ?? 0) >= (Y.decodeStateVector(clock).get(mine) ?? 1)), 5000, 'ack covering the write');
    expect(without.acks).toEqual([]);
    mux.ws.close();
  });

  it('refreshes the token in band: documents it no longer grants are refused 4403, the others keep syncing', async () => {
    const { relay } = test;
    const mux = muxClient(relay, await mintToken({ sub: 'ada', rooms: { 'ref-a': 'write', 'ref-b': 'write' } }));
    await mux.opened;
    const a = mux.attach('ref-a');
    const b = mux.attach('ref-b');
    await waitFor(() => a.synced && b.synced, 5000, 'synced');
    mux.send(muxFrames.auth(await mintToken({ sub: 'ada', rooms: { 'ref-a': 'write' } })));
    expect(await mux.refusalFor('ref-b')).toEqual({ doc: 'ref-b', code: 4403, reason: 'no access to this room' });
    await waitFor(() => mux.authOks.length === 2, 5000, 'second authOk');
    const stock = connectProvider(relay, 'ref-a', await mintToken({ sub: 'bob', rooms: { 'ref-a': 'write' } }));
    await synced(stock);
    a.doc.getArray<string>('messages').push(['after refresh']);
    await waitFor(() => stock.doc.getArray('messages').toJSON().includes('after refresh'), 5000, 'still syncing after refresh');
    // No re-sync: the kept document was not re-attached (one refusal in all, for ref-b).
    expect(mux.refused).toHaveLength(1);
    expect(mux.closed).toBeUndefined();
    stock.destroy();
    mux.ws.close();
  });
});
