// Work done offline arrives as one update whose structs may refer to records later in it: the guard accepts it.
import { expect, it } from 'vitest';
import * as Y from 'yjs';
import { deleteMessage, editMessage, getMessages, markRead, react, reactionsSummary, sendMessage, type Writer } from '../../shared/conversation.js';
import { exportDoc, frames, mintToken, rawClient, useTestRelay, waitFor } from './helpers.js';

const ROOM = 'offline-batch';
const ada: Writer = { userId: 'user-ada', role: 'write' };
const server = useTestRelay();

it('accepts a reaction, a reply and an edit to messages deleted or replaced later in the same offline update', async () => {
  const grace = new Y.Doc();
  const theirs = sendMessage(grace, { userId: 'grace', role: 'write' }, { text: 'before the trip' });
  const graceClient = rawClient(server.relay, ROOM, { token: await mintToken({ sub: 'grace' }) });
  await graceClient.opened;
  graceClient.send(frames.update(Y.encodeStateAsUpdate(grace), 2));
  await waitFor(async () => getMessages(await exportDoc(server.relay, ROOM)).length === 1, 5000, 'grace stored');

  // Ada, offline, on a copy of the room: every struct below reaches the relay in one sync step 2.
  const offline = new Y.Doc();
  Y.applyUpdate(offline, Y.encodeStateAsUpdate(await exportDoc(server.relay, ROOM)));
  const before = Y.encodeStateVector(offline);
  const draft = sendMessage(offline, ada, { text: 'typo' });
  react(offline, ada, draft.id, '👀');
  const reply = sendMessage(offline, ada, { text: 'replying to my typo', replyTo: draft.id });
  deleteMessage(offline, ada, draft.id);
  editMessage(offline, ada, reply.id, 'replying to a deleted message');
  markRead(offline, ada, theirs.id);

  const client = rawClient(server.relay, ROOM, { token: await mintToken({ sub: ada.userId }) });
  await client.opened;
  client.send(frames.update(Y.encodeStateAsUpdate(offline, before), 1));
  await waitFor(async () => getMessages(await exportDoc(server.relay, ROOM)).length === 3, 5000, 'offline work stored');
  expect(client.closed).toBeUndefined();
  const stored = await exportDoc(server.relay, ROOM);
  expect(getMessages(stored)).toEqual(getMessages(offline));
  expect(reactionsSummary(stored, draft.id)).toHaveLength(1);
  client.ws.close();
  graceClient.ws.close();
});
