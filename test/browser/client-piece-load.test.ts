// The document cache loads in causal pieces across tasks: the page runs between them, and writes made meanwhile are kept.
import { expect } from '@esm-bundle/chai';
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { getMessages, newMessageId, type MessageRecord } from '../../shared/conversation.js';
import { openConversation, type Conversation } from '../../client/index.js';
import { docDbName, openDatabase, request } from '../../client/idb.js';
import { PIECE_BYTES } from '../../client/piece-store.js';
import { uniqueRoom, uniqueUser, waitFor } from './support/helpers.js';

// Nothing listens there: these tests are about the local cache, so the conversations stay offline.
const NO_RELAY = 'ws://127.0.0.1:9';
const COUNT = 20_000;

type User = { id: string; name: string };

const openLocal = (user: User, room: string): Conversation =>
  openConversation({ relayUrl: NO_RELAY, room, user, getToken: async () => 'x.y.z' });

/**
 * A long history written whole into the user's cache, as y-indexeddb stores a document (one update). Two writers
 * alternate message by message, as in a chat, so each message is its own Yjs item (a piece never cuts an item).
 */
async function seedWhole(user: User, room: string): Promise<void> {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on('update', (u: Uint8Array, origin: unknown) => origin !== b && Y.applyUpdate(b, u, a));
  b.on('update', (u: Uint8Array, origin: unknown) => origin !== a && Y.applyUpdate(a, u, b));
  const start = Date.now() - COUNT * 1_000;
  for (let i = 0; i < COUNT; i++) {
    const record: MessageRecord = {
      id: newMessageId(),
      author: i % 2 === 0 ? user.id : 'bob-elsewhere',
      text: `message ${i} of a history long enough to be cut into many pieces`,
      createdAt: start + i * 1_000,
    };
    (i % 2 === 0 ? a : b).getArray<MessageRecord>('messages').push([record]);
  }
  const persistence = new IndexeddbPersistence(docDbName(user.id, room), a);
  await persistence.whenSynced;
  await persistence.destroy();
  a.destroy();
  b.destroy();
}

/** The sizes of the updates stored in the user's cache of `room`. */
async function storedSizes(user: User, room: string): Promise<number[]> {
  const db = await openDatabase(docDbName(user.id, room), () => undefined);
  try {
    const updates = (await request(db.transaction('updates', 'readonly').objectStore('updates').getAll())) as Uint8Array[];
    return updates.map((u) => u.byteLength);
  } finally {
    db.close();
  }
}

/** Counts the document's update events while it loads, and the timer tasks that ran between the first and the last. */
function watchLoad(chat: Conversation): { updates: number; tasksBetween: () => number; stop: () => void } {
  let ticks = 0;
  let first = -1;
  let last = -1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = (): void => {
    ticks++;
    timer = setTimeout(tick, 0);
  };
  timer = setTimeout(tick, 0);
  const watch = {
    updates: 0,
    tasksBetween: () => last - first,
    stop: () => {
      clearTimeout(timer);
      chat.doc.off('update', onUpdate);
    },
  };
  const onUpdate = (): void => {
    watch.updates++;
    if (first < 0) first = ticks;
    last = ticks;
  };
  chat.doc.on('update', onUpdate);
  return watch;
}

describe('client: loading the document cache in pieces', () => {
  it('rewrites a cache stored whole as pieces, then loads it one piece per task with timers running between', async () => {
    const user = uniqueUser('Ada');
    const room = uniqueRoom('pieces');
    await seedWhole(user, room);
    const whole = await storedSizes(user, room);
    expect(whole.length).to.equal(1);
    expect(whole[0]).to.be.greaterThan(4 * PIECE_BYTES);

    // First open: the whole update is applied at once, then the state is rewritten as pieces (closing waits for it).
    const first = openLocal(user, room);
    await first.loaded;
    expect(first.getState().messages.length).to.equal(COUNT);
    await first.close();
    const pieces = await storedSizes(user, room);
    expect(pieces.length).to.be.greaterThan(4);
    // A piece is PIECE_BYTES of structs plus its header (the last one also carries the delete set).
    for (const size of pieces) expect(size).to.be.lessThan(2 * PIECE_BYTES);

    // Next open: many update events, and timer tasks run between the first and the last one.
    const second = openLocal(user, room);
    const watch = watchLoad(second);
    await second.loaded;
    watch.stop();
    expect(second.getState().messages.length).to.equal(COUNT);
    expect(watch.updates).to.be.greaterThan(4);
    expect(watch.tasksBetween()).to.be.greaterThan(0);
    await second.close();
  });

  it('keeps writes made while the pieces load and while the cache is rewritten, in order', async () => {
    const user = uniqueUser('Ada');
    const room = uniqueRoom('pieces-writes');
    await seedWhole(user, room);

    // Written right after loading, while the whole update is being rewritten as pieces.
    const first = openLocal(user, room);
    await first.loaded;
    first.doc.getMap('probe').set('during-rewrite', 1);
    await first.close();

    // Written after the first piece is in the document and before the last one is.
    const second = openLocal(user, room);
    let wrote = false;
    second.doc.on('update', () => {
      if (wrote) return;
      wrote = true;
      queueMicrotask(() => {
        second.doc.getMap('probe').set('during-load', 2);
        second.doc.getMap('probe').set('during-load', 3);
      });
    });
    await second.loaded;
    expect(wrote).to.equal(true);
    await second.close();

    const third = openLocal(user, room);
    await third.loaded;
    const probe = third.doc.getMap('probe');
    expect(probe.get('during-rewrite')).to.equal(1);
    expect(probe.get('during-load')).to.equal(3);
    expect(getMessages(third.doc).length).to.equal(COUNT);
    expect(third.getState().messages.length).to.equal(COUNT);
    await third.close();
  });

  it('loads a conversation another tab keeps writing to, and compacts without losing that tab’s writes', async () => {
    const user = uniqueUser('Ada');
    const room = uniqueRoom('pieces-tabs');
    await seedWhole(user, room);
    const a = openLocal(user, room);
    await a.loaded;
    const b = openLocal(user, room);
    // While b loads, a keeps writing (each write stored by a as its own update).
    for (let i = 0; i < 600; i++) a.doc.getMap('probe').set(`a${i}`, i);
    await b.loaded;
    // b compacts once it has stored many updates of its own: a's stored writes must survive it.
    for (let i = 0; i < 600; i++) b.doc.getMap('probe').set(`b${i}`, i);
    await a.close();
    await b.close();
    const c = openLocal(user, room);
    await c.loaded;
    const probe = c.doc.getMap('probe');
    await waitFor(() => probe.size === 1_200, { what: 'all writes of both tabs' });
    expect(getMessages(c.doc).length).to.equal(COUNT);
    await c.close();
  });
});
