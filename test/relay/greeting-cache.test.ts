// The frames a room keeps between joins (its greeting's sync step 1, the whole-durable-state ack) follow every write.
import { expect, it } from 'vitest';
import * as Y from 'yjs';
import { sendMessage } from '../../shared/conversation.js';
import { decodeServerFrame, frames, mintToken, rawClient, useTestRelay, waitFor, type RawClient } from './helpers.js';

const server = useTestRelay();

/** The state vector in the first frame the relay sent (its greeting's sync step 1). */
const greetingOf = async (client: RawClient): Promise<Map<number, number>> => {
  const first = await waitFor(() => client.frames[0], 5000, 'greeting');
  const message = decodeServerFrame(first);
  if (message.type !== 'sync' || message.step !== 0) throw new Error('the first frame is not a sync step 1');
  return Y.decodeStateVector(message.payload);
};

/** Joins with acks, sends an empty sync step 2, and returns the ack's state vector. */
const joinAndAck = async (token: string): Promise<{ client: RawClient; greeting: Map<number, number>; ack: Map<number, number> }> => {
  const client = rawClient(server.relay, 'greeting-cache', { token, acks: '1' });
  await client.opened;
  const greeting = await greetingOf(client);
  client.send(frames.update(Y.encodeStateAsUpdate(new Y.Doc()), 2));
  const ack = await waitFor(() => client.frames.map(decodeServerFrame).find((m) => m.type === 'ack'), 5000, 'ack');
  if (ack.type !== 'ack') throw new Error('unreachable');
  return { client, greeting, ack: ack.stateVector };
};

it('greets and acks each joiner with the state as of its join, writes in between included', async () => {
  const writerToken = await mintToken({ sub: 'user-ada' });
  const writer = rawClient(server.relay, 'greeting-cache', { token: writerToken, acks: '1' });
  await writer.opened;
  // The writer stays connected: the room stays loaded, and what it keeps between joins is reused.
  const doc = new Y.Doc();
  const write = async (text: string) => {
    const acks = writer.frames.length;
    const sv = Y.encodeStateVector(doc);
    sendMessage(doc, { userId: 'user-ada', role: 'write' }, { text });
    writer.send(frames.update(Y.encodeStateAsUpdate(doc, sv), 2));
    await waitFor(
      () => writer.frames.slice(acks).map(decodeServerFrame).some((m) => m.type === 'ack' && m.stateVector.get(doc.clientID) === Y.getState(doc.store, doc.clientID)),
      5000,
      'write acked',
    );
  };

  await write('first');
  const first = await joinAndAck(await mintToken({ sub: 'user-bob' }));
  expect(first.greeting.get(doc.clientID)).toBe(Y.getState(doc.store, doc.clientID));
  expect(first.ack.get(doc.clientID)).toBe(Y.getState(doc.store, doc.clientID));

  // A second joiner with nothing written in between gets the same state.
  const again = await joinAndAck(await mintToken({ sub: 'user-cyd' }));
  expect(again.greeting.get(doc.clientID)).toBe(Y.getState(doc.store, doc.clientID));

  await write('second');
  const later = await joinAndAck(await mintToken({ sub: 'user-dee' }));
  expect(later.greeting.get(doc.clientID)).toBe(Y.getState(doc.store, doc.clientID));
  expect(later.ack.get(doc.clientID)).toBe(Y.getState(doc.store, doc.clientID));
  expect(later.greeting.get(doc.clientID)).toBeGreaterThan(first.greeting.get(doc.clientID)!);

  for (const client of [writer, first.client, again.client, later.client]) client.ws.close();
});
