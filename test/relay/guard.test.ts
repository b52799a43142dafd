// A hostile client built from raw Yjs and y-protocols tries every forgery against a real relay: each is refused with 4403.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningRelay } from '../../relay/index.js';
import { createConversationGuard } from '../../relay/update-guard.js';
import {
  deleteMessage, getMessages, getMeta, getProfiles, getReceipts, markRead, react, reactionsSummary,
  sendMessage, setMeta, setProfile, type MessageRecord, type Writer,
} from '../../shared/conversation.js';
import type { Role } from '../../shared/protocol.js';
import { connectProvider, exportDoc, frames, mintToken, rawClient, synced, useTestRelay, waitFor } from './helpers.js';

const ROOM = 'guarded';
const alice: Writer = { userId: 'alice', role: 'write' };
const bob: Writer = { userId: 'bob', role: 'write' };
const mallory: Writer = { userId: 'mallory', role: 'write' };
const moderator: Writer = { userId: 'mod', role: 'admin' };

let relay: RunningRelay;
const stateOf = (doc: Y.Doc) => ({
  messages: getMessages(doc),
  receipts: ['alice', 'bob', 'mallory'].map((user) => getReceipts(doc, user)),
  // By user id: the Map's order follows the document's internal layout, which a reload may change.
  profiles: [...getProfiles(doc)].sort(([a], [b]) => a.localeCompare(b)),
  meta: getMeta(doc),
});

const server = useTestRelay({ checkUpdate: createConversationGuard() });

/** Connects as `user`, loads the room into a raw doc, lets `attack` mutate it with raw Yjs, and sends the diff. */
async function attempt(user: string, role: Role, attack: (doc: Y.Doc) => void, clientID?: number): Promise<{ code: number; reason: string }> {
  const token = await mintToken({ sub: user, rooms: { [ROOM]: role } });
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(await exportDoc(relay, ROOM)));
  // Set after loading: Yjs gives a doc a new client id when it sees its own id in remote structs.
  if (clientID !== undefined) doc.clientID = clientID;
  const client = rawClient(relay, ROOM, { token });
  await client.opened;
  await waitFor(() => client.frames.length > 0, 5000, 'greeting');
  const before = Y.encodeStateVector(doc);
  attack(doc);
  const update = Y.encodeStateAsUpdate(doc, before);
  client.send(frames.update(update, 2));
  return client.closedWith();
}

let honest: { doc: Y.Doc; close: () => void };
let ids: { a1: string; a2: string; b1: string };
let expected: ReturnType<typeof stateOf>;

beforeAll(async () => {
  relay = server.relay;
  const token = await mintToken({ sub: 'alice', rooms: { [ROOM]: 'write' } });
  const provider = connectProvider(relay, ROOM, token);
  await synced(provider);
  honest = { doc: provider.doc, close: () => provider.destroy() };
  const seed = new Y.Doc();
  const a1 = sendMessage(provider.doc, alice, { text: 'hello from alice' }).id;
  const a2 = sendMessage(provider.doc, alice, { text: 'second from alice' }).id;
  setProfile(provider.doc, alice, { name: 'Alice' });
  await waitFor(async () => getMessages(await exportDoc(relay, ROOM)).length === 2, 5000, 'alice\'s two messages stored');
  // Bob and the moderator write through the relay too, each from their own replica.
  const bobToken = await mintToken({ sub: 'bob', rooms: { [ROOM]: 'write' } });
  const bobProvider = connectProvider(relay, ROOM, bobToken, seed);
  await synced(bobProvider);
  const b1 = sendMessage(seed, bob, { text: 'hi alice', replyTo: a1 }).id;
  markRead(seed, bob, a2);
  react(seed, bob, a1, '👍');
  setProfile(seed, bob, { name: 'Bob' });
  const modToken = await mintToken({ sub: 'mod', rooms: { [ROOM]: 'admin' } });
  const modProvider = connectProvider(relay, ROOM, modToken);
  await synced(modProvider);
  setMeta(modProvider.doc, moderator, { title: 'Guarded room', kind: 'group' });
  await waitFor(
    () => getMeta(honest.doc).title === 'Guarded room' && getMessages(honest.doc).length === 3 && getReceipts(honest.doc, 'bob').read === a2,
    5000,
    'the seeded title, three messages and bob\'s receipt at alice',
  );
  bobProvider.destroy();
  modProvider.destroy();
  ids = { a1, a2, b1 };
  expected = stateOf(honest.doc);
});

afterAll(async () => {
  honest?.close();
});

const messagesOf = (doc: Y.Doc) => doc.getArray<MessageRecord>('messages');
const indexOf = (doc: Y.Doc, id: string) => messagesOf(doc).toArray().findIndex((m) => m.id === id);

describe('forgeries are refused with 4403 naming the rule', () => {
  const cases: Array<[string, string, Role, (doc: Y.Doc) => void]> = [
    ['forged author', 'author-mismatch', 'write', (doc) => messagesOf(doc).push([{ id: 'forged-0001', author: 'alice', text: 'I owe mallory $100', createdAt: Date.now() }])],
    ['editing another user\u2019s text', 'not-author', 'write', (doc) => {
      const i = indexOf(doc, ids.a1);
      const original = messagesOf(doc).get(i);
      doc.transact(() => {
        messagesOf(doc).insert(i, [{ ...original, text: 'hijacked', editedAt: Date.now() }]);
        messagesOf(doc).delete(i + 1, 1);
      });
    }],
    ['deleting another user\u2019s message outright', 'not-author-or-admin', 'write', (doc) => messagesOf(doc).delete(indexOf(doc, ids.a1), 1)],
    ['tombstoning another user\u2019s message', 'not-author-or-admin', 'write', (doc) => {
      const i = indexOf(doc, ids.a1);
      const { id, author, createdAt } = messagesOf(doc).get(i);
      doc.transact(() => {
        messagesOf(doc).insert(i, [{ id, author, createdAt, text: '', deleted: true, deletedBy: 'mallory' }]);
        messagesOf(doc).delete(i + 1, 1);
      });
    }],
    ['overwriting another user\u2019s receipt', 'not-own-entry', 'write', (doc) => {
      const receipts = doc.getArray('receipts:bob');
      doc.transact(() => {
        receipts.push([{ delivered: ids.a1, read: ids.a1 }]);
        receipts.delete(0, receipts.length - 1);
      });
    }],
    ['setting another user\u2019s reaction', 'not-own-entry', 'write', (doc) => doc.getMap('reactions').set(`${ids.a1} bob 💩`, true)],
    ['removing another user\u2019s reaction', 'not-own-entry', 'write', (doc) => doc.getMap('reactions').delete(`${ids.a1} bob 👍`)],
    ['setting another user\u2019s profile', 'not-own-entry', 'write', (doc) => doc.getArray('members:alice').push([{ name: 'Alice (fake)' }])],
    ['writing room meta as a plain writer', 'not-admin', 'write', (doc) => doc.getMap('meta').set('title', 'pwned')],
    ['adding an unknown top-level type', 'unknown-type', 'write', (doc) => doc.getText('payload').insert(0, '<script>')],
    ['writing the relay\u2019s client bindings', 'unknown-type', 'write', (doc) => doc.getMap('clients').set('1', 'mallory')],
    ['adding an unknown field', 'unknown-field', 'write', (doc) => messagesOf(doc).push([{ id: 'extra-field-1', author: 'mallory', text: 'x', createdAt: Date.now(), admin: true } as never])],
    ['nesting a shared type in a message', 'bad-record', 'write', (doc) => messagesOf(doc).push([new Y.Map() as never])],
    ['oversized text', 'text-too-long', 'write', (doc) => messagesOf(doc).push([{ id: 'too-long-001', author: 'mallory', text: 'x'.repeat(8001), createdAt: Date.now() }])],
    ['a delete smuggled into an otherwise valid update', 'not-author-or-admin', 'write', (doc) => {
      doc.transact(() => {
        sendMessage(doc, mallory, { text: 'totally innocent' });
        messagesOf(doc).delete(indexOf(doc, ids.b1), 1);
      });
    }],
    ['a write from a read role', 'read-only', 'read', (doc) => sendMessage(doc, { userId: 'rita', role: 'write' }, { text: 'let me in' })],
    ['an admin editing someone else\u2019s words', 'not-author', 'admin', (doc) => {
      const i = indexOf(doc, ids.a2);
      const original = messagesOf(doc).get(i);
      doc.transact(() => {
        messagesOf(doc).insert(i, [{ ...original, text: 'moderated words', editedAt: Date.now() }]);
        messagesOf(doc).delete(i + 1, 1);
      });
    }],
  ];

  for (const [name, rule, role, attack] of cases) {
    it(name, async () => {
      const closed = await attempt(role === 'admin' ? 'mod' : 'mallory', role, attack);
      expect(closed.code).toBe(4403);
      expect(closed.reason).toContain(rule);
      expect(stateOf(honest.doc)).toEqual(expected);
    });
  }

  it('moving one\u2019s own receipt backwards', async () => {
    // Bob's receipt stands at a2; he tries to put it back at a1.
    const closed = await attempt('bob', 'write', (doc) => {
      const receipts = doc.getArray('receipts:bob');
      doc.transact(() => {
        const old = receipts.length;
        receipts.push([{ delivered: ids.a1, read: ids.a1 }]);
        receipts.delete(0, old);
      });
    });
    expect(closed).toMatchObject({ code: 4403 });
    expect(closed.reason).toContain('receipt-backwards');
    expect(getReceipts(honest.doc, 'bob').read).toBe(ids.a2);
  });

  it('writing with another user\u2019s client id', async () => {
    const aliceClient = messagesOf(honest.doc)._start!.id.client;
    const closed = await attempt('mallory', 'write', (doc) => sendMessage(doc, mallory, { text: 'as alice\u2019s client' }), aliceClient);
    expect(closed.code).toBe(4403);
    expect(closed.reason).toContain('foreign-client');
    // Alice can still write with her client id: nothing was squatted.
    sendMessage(honest.doc, alice, { text: 'still mine' });
    await waitFor(async () => getMessages(await exportDoc(relay, ROOM)).some((m) => m.text === 'still mine'), 5000, 'the edit stored');
    expected = stateOf(honest.doc);
  });

  it('counts refusals by rule in the metrics', async () => {
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toMatch(/parley_write_refusals_total\{rule="not-own-entry"\} [3-9]/);
    expect(metrics).toMatch(/parley_write_refusals_total\{rule="foreign-client"\} 1/);
  });
});

describe('what is allowed', () => {
  it('an admin may tombstone anyone\u2019s message; the author may edit and delete their own', async () => {
    const token = await mintToken({ sub: 'mod', rooms: { [ROOM]: 'admin' } });
    const provider = connectProvider(relay, ROOM, token);
    await synced(provider);
    let closed: number | undefined;
    provider.on('connection-close', (event: CloseEvent | null) => {
      closed = event?.code;
    });
    deleteMessage(provider.doc, moderator, ids.b1);
    await waitFor(() => getMessages(honest.doc).find((m) => m.id === ids.b1)?.deleted === true, 5000, 'the moderator\'s tombstone at alice');
    expect(closed).toBeUndefined();
    provider.destroy();
    expect(reactionsSummary(honest.doc, ids.a1)).toHaveLength(1);
    expected = stateOf(honest.doc);
  });
});

describe('after a restart', () => {
  it('the stored room holds exactly the honest state, and bindings survive', async () => {
    relay = await server.restart();
    expect(stateOf(await exportDoc(relay, ROOM))).toEqual(expected);
    const aliceClient = messagesOf(honest.doc)._start!.id.client;
    const closed = await attempt('mallory', 'write', (doc) => sendMessage(doc, mallory, { text: 'after restart' }), aliceClient);
    expect(closed.reason).toContain('foreign-client');
  });
});
