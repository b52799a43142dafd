// Threads and pins through a real relay: raw clients send forged thread replies and pins and are closed with 4403 naming the rule.
import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createConversationGuard } from '../../relay/update-guard.js';
import { getPins, getThreadReplies, pinMessage, sendMessage, setMeta, type Writer } from '../../shared/conversation.js';
import type { Role } from '../../shared/protocol.js';
import { attemptWrite, connectProvider, exportDoc, mintToken, synced, useTestRelay, waitFor } from './helpers.js';

const ROOM = 'threads-pins';
const alice: Writer = { userId: 'alice', role: 'write' };
const bob: Writer = { userId: 'bob', role: 'write' };
const mod: Writer = { userId: 'mod', role: 'admin' };

const server = useTestRelay({ checkUpdate: createConversationGuard() });
let ids: { root: string; reply: string };

/** `user` with `role` writes through a raw client: the relay's close, or 'accepted' once stored. */
const attempt = async (user: string, role: Role, write: (doc: Y.Doc) => void) =>
  attemptWrite(server.relay, ROOM, await mintToken({ sub: user, rooms: { [ROOM]: role } }), write);

beforeAll(async () => {
  const token = await mintToken({ sub: 'alice', rooms: { [ROOM]: 'write' } });
  const provider = connectProvider(server.relay, ROOM, token);
  await synced(provider);
  const root = sendMessage(provider.doc, alice, { text: 'thread root' }).id;
  const modToken = await mintToken({ sub: 'mod', rooms: { [ROOM]: 'admin' } });
  const modProvider = connectProvider(server.relay, ROOM, modToken);
  await synced(modProvider);
  setMeta(modProvider.doc, mod, { kind: 'group' });
  await waitFor(async () => (await exportDoc(server.relay, ROOM)).getMap('meta').get('kind') === 'group' && (await exportDoc(server.relay, ROOM)).getArray('messages').length === 1, 5000, 'root and meta stored');
  const bobToken = await mintToken({ sub: 'bob', rooms: { [ROOM]: 'write' } });
  const bobProvider = connectProvider(server.relay, ROOM, bobToken);
  await synced(bobProvider);
  const reply = sendMessage(bobProvider.doc, bob, { text: 'first reply', threadRoot: root }).id;
  await waitFor(async () => getThreadReplies(await exportDoc(server.relay, ROOM), root).length === 1, 5000, 'the reply stored');
  ids = { root, reply };
  provider.destroy();
  modProvider.destroy();
  bobProvider.destroy();
});

const push = (value: object) => (doc: Y.Doc) => doc.getArray('messages').push([{ author: 'bob', text: 'forged', createdAt: Date.now(), ...value }]);

describe('the relay enforces threads and pins', () => {
  it('refuses thread replies under unknown roots and replies to thread replies', async () => {
    const unknown = await attempt('bob', 'write', push({ id: 'forged-thread-1', threadRoot: 'no-such-root-00001' }));
    expect(unknown).toEqual({ code: 4403, reason: expect.stringContaining('thread-root-unknown') });
    const nested = await attempt('bob', 'write', push({ id: 'forged-thread-2', threadRoot: ids.reply }));
    expect(nested).toEqual({ code: 4403, reason: expect.stringContaining('thread-nested') });
  });

  it('refuses a member pinning in a group, and hundreds of pins from an admin in one update', async () => {
    const member = await attempt('alice', 'write', (doc) => doc.getMap('pins').set(ids.root, { by: 'alice', at: Date.now() }));
    expect(member).toEqual({ code: 4403, reason: expect.stringContaining('pin-not-allowed') });
    const flood = await attempt('mod', 'admin', (doc) => doc.transact(() => {
      for (let i = 0; i < 200; i++) {
        const id = sendMessage(doc, mod, { text: `spam ${i}` }).id;
        doc.getMap('pins').set(id, { by: 'mod', at: 1 });
      }
    }));
    expect(flood).toEqual({ code: 4403, reason: expect.stringContaining('too-many-pins') });
  });

  it('accepts an admin pin and a thread reply, and stores them', async () => {
    expect(await attempt('mod', 'admin', (doc) => pinMessage(doc, mod, ids.root))).toBe('accepted');
    expect(await attempt('bob', 'write', (doc) => sendMessage(doc, bob, { text: 'second reply', threadRoot: ids.root }))).toBe('accepted');
    const room = await exportDoc(server.relay, ROOM);
    expect(getPins(room).map((p) => p.message.id)).toEqual([ids.root]);
    expect(getThreadReplies(room, ids.root).map((r) => r.text)).toEqual(['first reply', 'second reply']);
  });
});
