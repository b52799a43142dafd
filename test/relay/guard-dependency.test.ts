// An update that builds on structs the relay lacks is not the sender's fault: closed with 1013, then accepted after a resync.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { getMessages, sendMessage, type Writer } from '../../shared/conversation.js';
import { exportDoc, frames, mintToken, rawClient, useTestRelay, waitFor } from './helpers.js';

const ROOM = 'two-tabs';
const ada: Writer = { userId: 'user-ada', role: 'write' };
const server = useTestRelay();

const connect = async () => {
  const client = rawClient(server.relay, ROOM, { token: await mintToken({ sub: ada.userId }) });
  await client.opened;
  await waitFor(() => client.frames.length > 0, 5000, 'greeting');
  return client;
};

describe('updates with missing dependencies', () => {
  it('are refused with 1013 and accepted once the structs they build on come along', async () => {
    // Tab A writes; tab B receives it over a BroadcastChannel and replies before A's update reaches the relay.
    const tabA = new Y.Doc();
    sendMessage(tabA, ada, { text: 'from tab A' });
    const tabB = new Y.Doc();
    Y.applyUpdate(tabB, Y.encodeStateAsUpdate(tabA));
    const before = Y.encodeStateVector(tabB);
    sendMessage(tabB, ada, { text: 'from tab B, after A' });

    const early = await connect();
    early.send(frames.update(Y.encodeStateAsUpdate(tabB, before), 2));
    const closed = await early.closedWith();
    expect(closed.code).toBe(1013);
    expect(closed.reason).toContain('missing-dependency');
    expect(getMessages(await exportDoc(server.relay, ROOM))).toEqual([]);

    // After reconnecting, B's sync step 2 carries everything the relay lacks: accepted.
    const resync = await connect();
    resync.send(frames.update(Y.encodeStateAsUpdate(tabB), 1));
    await waitFor(async () => getMessages(await exportDoc(server.relay, ROOM)).length === 2, 5000, 'both messages stored');
    expect(getMessages(await exportDoc(server.relay, ROOM)).map((m) => m.text)).toEqual(['from tab A', 'from tab B, after A']);
    expect(resync.closed).toBeUndefined();
    resync.ws.close();
  });
});
