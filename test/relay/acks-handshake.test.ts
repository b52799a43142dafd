// A returning client with nothing new still learns what is durable: its empty catch-up is acknowledged.
import { expect, it } from 'vitest';
import * as Y from 'yjs';
import { sendMessage } from '../../shared/conversation.js';
import { decodeServerFrame, exportDoc, frames, mintToken, rawClient, useTestRelay, waitFor } from './helpers.js';

const server = useTestRelay();

it('acks an empty sync step 2 from an up-to-date client, with the room\u2019s durable state', async () => {
  const token = await mintToken({ sub: 'user-ada' });
  const writer = rawClient(server.relay, 'handshake', { token, acks: '1' });
  await writer.opened;
  const doc = new Y.Doc();
  sendMessage(doc, { userId: 'user-ada', role: 'write' }, { text: 'stored before' });
  writer.send(frames.update(Y.encodeStateAsUpdate(doc), 2));
  await waitFor(() => writer.frames.some((f) => decodeServerFrame(f).type === 'ack'), 5000, 'first ack');
  writer.ws.close();

  const returning = rawClient(server.relay, 'handshake', { token, acks: '1' });
  await returning.opened;
  returning.send(frames.update(Y.encodeStateAsUpdate(new Y.Doc()), 1));
  const ack = await waitFor(() => returning.frames.map(decodeServerFrame).find((m) => m.type === 'ack'), 5000, 'handshake ack');
  expect(ack?.type === 'ack' && ack.stateVector.get(doc.clientID)).toBe(Y.getState(doc.store, doc.clientID));
  expect((await exportDoc(server.relay, 'handshake')).getArray('messages').length).toBe(1);
  returning.ws.close();
});
