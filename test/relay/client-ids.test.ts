// New Yjs client ids are rationed per connection and per user (issue 11), and durable acks cover only the writer's own ids.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { sendMessage } from '../../shared/conversation.js';
import { decodeServerFrame, frames, mintToken, rawClient, useTestRelay, waitFor } from './helpers.js';

/** One message update from a brand-new Y.Doc (so a new client id) by `user`. */
const fromNewClient = (user: string, text: string): { update: Uint8Array; client: number } => {
  const doc = new Y.Doc();
  sendMessage(doc, { userId: user, role: 'write' }, { text });
  return { update: Y.encodeStateAsUpdate(doc), client: doc.clientID };
};

const acksOf = (received: Uint8Array[]) =>
  received.map(decodeServerFrame).filter((m): m is Extract<typeof m, { type: 'ack' }> => m.type === 'ack');

describe('client ids', () => {
  const server = useTestRelay({ limits: { newClientIdsPerConnection: 3, newClientIdsPerUserPerHour: 5 } });

  it('limits new client ids per connection, then per user per hour, with 4429 naming the rule', async () => {
    const { relay } = server;
    const token = await mintToken({ sub: 'inflater' });
    const first = rawClient(relay, 'ids', { token, acks: '1' });
    await first.opened;
    for (let i = 0; i < 3; i++) first.send(frames.update(fromNewClient('inflater', `a${i}`).update));
    await waitFor(() => acksOf(first.frames).length >= 1 && first.closed === undefined, 5000, 'the first three writes acknowledged');
    first.send(frames.update(fromNewClient('inflater', 'a3').update));
    expect(await first.closedWith()).toEqual({ code: 4429, reason: 'rate limit exceeded: too-many-client-ids' });

    // A new connection of the same user has two ids left this hour.
    const second = rawClient(relay, 'ids', { token });
    await second.opened;
    for (let i = 0; i < 2; i++) second.send(frames.update(fromNewClient('inflater', `b${i}`).update));
    second.send(frames.update(fromNewClient('inflater', 'b2').update));
    expect(await second.closedWith()).toEqual({ code: 4429, reason: 'rate limit exceeded: too-many-client-ids' });

    // Other users are unaffected, and a known client id costs nothing.
    const other = rawClient(relay, 'ids', { token: await mintToken({ sub: 'honest' }), acks: '1' });
    await other.opened;
    const doc = new Y.Doc();
    for (let i = 0; i < 10; i++) {
      const before = Y.encodeStateVector(doc);
      sendMessage(doc, { userId: 'honest', role: 'write' }, { text: `h${i}` });
      other.send(frames.update(Y.encodeStateAsUpdate(doc, before)));
    }
    await waitFor(() => acksOf(other.frames).some((ack) => ack.stateVector.get(doc.clientID) === 10), 5000, 'all ten honest writes acknowledged');
    expect(other.closed).toBeUndefined();
    // The ack covers the writer's own client ids only, not the ids of everyone else in the room.
    for (const ack of acksOf(other.frames)) expect([...ack.stateVector.keys()].filter((client) => client !== doc.clientID)).toEqual([]);
    other.ws.close();

    // The same user's next session (a new client id) is acknowledged for both of its ids: all the user's own.
    const next = rawClient(relay, 'ids', { token: await mintToken({ sub: 'honest' }), acks: '1' });
    await next.opened;
    const session = fromNewClient('honest', 'from the next session');
    next.send(frames.update(session.update));
    const ack = await waitFor(
      () => acksOf(next.frames).find((m) => m.stateVector.get(session.client) !== undefined),
      5000,
      'an ack covering the new session',
    );
    expect(ack?.stateVector.get(doc.clientID)).toBe(10);
    next.ws.close();
  });
});
