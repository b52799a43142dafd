// First screen from the tail cache: shown before the document loads, replaced by the live view without a jump, wiped on logout, ignored when stale or corrupt.
import { expect } from '@esm-bundle/chai';
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { deleteMessage, editMessage, getMessages, newMessageId, type MessageRecord } from '../../shared/conversation.js';
import { logout, openConversation, type Conversation, type ConversationState } from '../../client/index.js';
import { docDbName, listDatabases, openDatabase, request, transactionDone } from '../../client/idb.js';
import { readTail, TAIL_ROWS, tailDbName } from '../../client/conversation/tail-cache.js';
import type { ChatRoom } from '../../client/ui/chat-room/chat-room.js';
import { $, $$, unmountAll } from './ui-helpers.js';
import { uniqueRoom, uniqueUser, waitFor } from './support/helpers.js';

// Nothing listens there: these tests are about the local cache, so the conversations stay offline.
const NO_RELAY = 'ws://127.0.0.1:9';

type User = { id: string; name: string };

/** A history of `count` messages, half by `user`, half by someone else, written straight into the user's document cache. */
async function seedHistory(user: User, room: string, count: number): Promise<Y.Doc> {
  const doc = new Y.Doc();
  const start = Date.now() - count * 1_000;
  const records: MessageRecord[] = Array.from({ length: count }, (_, i) => ({
    id: newMessageId(),
    author: i % 2 === 0 ? user.id : 'bob-elsewhere',
    text: `message ${i}${i % 5 === 0 ? ' — a longer one that wraps over two lines in a narrow chat window, to vary heights' : ''}`,
    createdAt: start + i * 1_000,
  }));
  doc.getArray<MessageRecord>('messages').push(records);
  await storeDoc(user, room, doc);
  return doc;
}

/** Stores `doc`'s whole state in the user's cache of `room` (what y-indexeddb does when it syncs a document). */
async function storeDoc(user: User, room: string, doc: Y.Doc): Promise<void> {
  const persistence = new IndexeddbPersistence(docDbName(user.id, room), doc);
  await persistence.whenSynced;
  await persistence.destroy();
}

const openLocal = (user: User, room: string): Conversation =>
  openConversation({ relayUrl: NO_RELAY, room, user, getToken: async () => 'x.y.z' });

/** Opens the room once (as an earlier visit did) and waits until its tail is saved with the newest message. */
async function visit(user: User, room: string, newest: string): Promise<void> {
  const chat = openLocal(user, room);
  await chat.loaded;
  await waitFor(async () => (await readTail(user.id, room))?.messages.at(-1)?.id === newest, { what: 'tail saved' });
  await chat.close();
}

/** The raw stored tail record of `room`, or undefined. */
async function rawTail(userId: string, room: string): Promise<unknown> {
  const db = await openDatabase(tailDbName(userId), (d) => d.createObjectStore('tails'));
  try {
    return await request(db.transaction('tails', 'readonly').objectStore('tails').get(room));
  } finally {
    db.close();
  }
}

async function putRawTail(userId: string, room: string, value: unknown): Promise<void> {
  const db = await openDatabase(tailDbName(userId), (d) => d.createObjectStore('tails'));
  const tx = db.transaction('tails', 'readwrite');
  tx.objectStore('tails').put(value, room);
  await transactionDone(tx);
  db.close();
}

/** Every state `chat` publishes, with whether its document held any message at that moment. */
function record(chat: Conversation): { state: ConversationState; docMessages: number }[] {
  const seen: { state: ConversationState; docMessages: number }[] = [];
  chat.subscribe((state) => seen.push({ state, docMessages: chat.doc.getArray('messages').length }));
  return seen;
}

describe('client: first screen from the tail cache', () => {
  afterEach(unmountAll);

  it('shows the latest messages before the document is loaded, then the live view with the same ids', async () => {
    const user = uniqueUser('Ada');
    const room = uniqueRoom('first-tail');
    const doc = await seedHistory(user, room, 3_000);
    const all = getMessages(doc).map((m) => m.id);
    await visit(user, room, all.at(-1)!);

    const chat = openLocal(user, room);
    const seen = record(chat);
    await chat.loaded;
    await waitFor(() => chat.getState().loaded, { what: 'loaded' });
    const preview = seen.find((s) => s.state.preview);
    expect(preview, 'a preview state').to.not.equal(undefined);
    // Shown from the tail alone: the document had not been read yet.
    expect(preview!.docMessages).to.equal(0);
    expect(preview!.state.loaded).to.equal(false);
    const tailIds = preview!.state.messages.map((m) => m.id);
    expect(tailIds.length).to.equal(TAIL_ROWS);
    expect(tailIds).to.deep.equal(all.slice(-TAIL_ROWS));
    expect(preview!.state.messages.at(-1)!.text).to.equal(`message ${all.length - 1}`);
    // Nothing but the preview came before the live view, and the live view has everything.
    const live = chat.getState();
    expect(live.preview).to.equal(false);
    expect(live.messages.map((m) => m.id)).to.deep.equal(all);
    expect(seen.filter((s) => !s.state.loaded).every((s) => s.state.messages.length === 0 || s.state.preview)).to.equal(true);
    await chat.close();
  });

  it('replaces the tail by the live view without moving the newest row', async () => {
    const user = uniqueUser('Ada');
    const room = uniqueRoom('first-jump');
    const doc = await seedHistory(user, room, 3_000);
    const newest = getMessages(doc).at(-1)!.id;
    await visit(user, room, newest);

    const chat = openLocal(user, room);
    const el = document.createElement('chat-room') as ChatRoom;
    el.style.cssText = 'height: 420px; width: 420px; display: inline-flex; vertical-align: top;';
    const settle = async (): Promise<void> => {
      while (!(await el.updateComplete));
    };
    /** The newest row's distance from the bottom of the visible list, and the row itself. */
    const newestRow = (): { gap: number; row: HTMLElement } | undefined => {
      const row = $$(el, '.row').find((r) => r.dataset.id === newest);
      if (!row) return undefined;
      return { gap: $(el, '[part="messages"]').getBoundingClientRect().bottom - row.getBoundingClientRect().bottom, row };
    };
    let before: { gap: number; row: HTMLElement; rows: number } | undefined;
    let measuring: Promise<void> | undefined;
    chat.subscribe((state) => {
      // Measured as the preview is rendered, before the document load starts (that waits for a painted frame).
      if (!state.preview || measuring) return;
      measuring = (async () => {
        await settle();
        const found = newestRow();
        if (found) before = { ...found, rows: $$(el, '.row').length };
      })();
    });
    el.conversation = chat;
    document.body.append(el);
    await waitFor(() => chat.getState().loaded, { what: 'loaded' });
    await measuring;
    expect(before, 'the newest row was on screen in the preview').to.not.equal(undefined);
    expect(before!.rows).to.be.greaterThan(3);
    await settle();
    // Let measured heights converge (a render pass or two), then compare.
    await new Promise((r) => requestAnimationFrame(() => r(undefined)));
    await settle();
    const after = newestRow();
    expect(after, 'the newest row is on screen in the live view').to.not.equal(undefined);
    expect(Math.abs(after!.gap - before!.gap)).to.be.lessThan(1);
    // The same DOM row (rows are keyed by message id): nothing was torn down and re-created.
    expect(after!.row).to.equal(before!.row);
    el.remove();
    await chat.close();
  });

  it('shows edits and deletions made elsewhere once the document is loaded, and saves the new tail', async () => {
    const user = uniqueUser('Ada');
    const room = uniqueRoom('first-stale');
    const doc = await seedHistory(user, room, 500);
    const messages = getMessages(doc);
    const [edited, deleted] = [messages.at(-1)!, messages.at(-2)!];
    await visit(user, room, edited.id);
    // Another device edited and deleted; the cache got it (as a sync would have brought it), the tail did not.
    editMessage(doc, { userId: edited.author, role: 'write' }, edited.id, 'edited elsewhere');
    deleteMessage(doc, { userId: deleted.author, role: 'write' }, deleted.id);
    await storeDoc(user, room, doc);

    const chat = openLocal(user, room);
    const seen = record(chat);
    await chat.loaded;
    await waitFor(() => chat.getState().loaded, { what: 'loaded' });
    const preview = seen.find((s) => s.state.preview)!.state;
    expect(preview.messages.at(-1)!.text).to.equal(edited.text);
    const live = chat.getState().messages;
    expect(live.at(-1)!.text).to.equal('edited elsewhere');
    expect(live.at(-2)!.deleted).to.equal(true);
    expect(live.at(-2)!.text).to.equal('');
    // The stale tail does not outlive the load: the next first screen shows the edit and the deletion.
    await waitFor(async () => (await readTail(user.id, room))?.messages.at(-1)?.text === 'edited elsewhere', { what: 'tail rewritten' });
    const tail = (await readTail(user.id, room))!;
    expect(tail.messages.at(-2)!.deleted).to.equal(true);
    await chat.close();
  });

  it('ignores a corrupt tail, deletes it, and loads the document as usual', async () => {
    const user = uniqueUser('Ada');
    const room = uniqueRoom('first-corrupt');
    const doc = await seedHistory(user, room, 200);
    const all = getMessages(doc).map((m) => m.id);
    const goodMessage = { id: newMessageId(), author: user.id, text: 'ok', createdAt: Date.now(), deleted: false, mine: true, queued: false };
    const corrupt: unknown[] = [
      'not a tail',
      { v: 1, savedAt: Date.now(), messages: [{ id: 5, text: 'x' }], profiles: [], meta: { title: '', kind: 'group' }, unread: 0 },
      { v: 1, savedAt: Date.now(), messages: [{ ...goodMessage, attachments: 'nope' }], profiles: [], meta: { title: '', kind: 'group' }, unread: 0 },
      { v: 1, savedAt: Date.now(), messages: [{ ...goodMessage, status: 'exploded' }], profiles: [], meta: { title: '', kind: 'group' }, unread: 0 },
      { v: 1, savedAt: Date.now(), messages: [goodMessage], profiles: [['x', null]], meta: { title: '', kind: 'group' }, unread: 0 },
      { v: 99, savedAt: Date.now(), messages: [goodMessage], profiles: [], meta: { title: '', kind: 'group' }, unread: 0 },
    ];
    for (const value of corrupt) {
      await putRawTail(user.id, room, value);
      const chat = openLocal(user, room);
      const seen = record(chat);
      await chat.loaded;
      await waitFor(() => chat.getState().loaded, { what: 'loaded' });
      expect(seen.some((s) => s.state.preview), JSON.stringify(value)).to.equal(false);
      expect(seen.every((s) => s.state.loaded || s.state.messages.length === 0)).to.equal(true);
      expect(chat.getState().messages.map((m) => m.id)).to.deep.equal(all);
      await chat.close();
      // Deleted on read, or replaced by the live tail when the conversation wrote one before closing.
      const stored = await rawTail(user.id, room);
      expect(stored === undefined || (stored as { messages: { id: string }[] }).messages.at(-1)?.id === all.at(-1)).to.equal(true);
    }
  });

  it('logout deletes the tails with the rest of the user\'s data', async () => {
    const user = uniqueUser('Ada');
    const room = uniqueRoom('first-logout');
    const doc = await seedHistory(user, room, 100);
    await visit(user, room, getMessages(doc).at(-1)!.id);
    expect(await listDatabases()).to.include(tailDbName(user.id));
    // Open while logging out: closing it for logout must not write the tail again.
    const chat = openLocal(user, room);
    await chat.loaded;
    await logout(user.id);
    expect(chat.getState().closed).to.equal(true);
    expect(await listDatabases()).to.not.include(tailDbName(user.id));
    expect(await readTail(user.id, room)).to.equal(undefined);
    // A later visit shows no preview: there is nothing left to show.
    const again = openLocal(user, room);
    const seen = record(again);
    await again.loaded;
    expect(seen.some((s) => s.state.preview)).to.equal(false);
    await again.close();
  });
});
