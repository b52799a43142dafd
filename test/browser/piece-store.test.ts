// The document cache (client/piece-store.ts) loses nothing: atomic compaction, concurrent stores, destroy, failures, y-indexeddb both ways.
import { expect } from '@esm-bundle/chai';
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { persistDoc } from '../../client/doc-store.js';
import { docDbName, openDatabase, request } from '../../client/idb.js';
import { nextTask } from '../../client/next-task.js';
import { PIECE_BYTES, PieceStore } from '../../client/piece-store.js';
import { uniqueRoom, uniqueUser, waitFor } from './support/helpers.js';
import { seeded as seededRandom } from '../support/seeded.js';

/** A stored row: its key, size and an FNV-1a hash of its bytes (small to compare and to print). */
type Row = string;

const rowOf = (key: IDBValidKey, bytes: Uint8Array): Row => {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  return `${String(key)}:${bytes.byteLength}:${(hash >>> 0).toString(16)}`;
};
const sizeOf = (row: Row): number => Number(row.split(':')[1]);

/**
 * A document with a history large enough to be cut into several pieces, with every kind of change a cache must
 * keep: two writers, array inserts and deletions, map overwrites, text edits.
 */
function historyDoc(messages = 3_000): Y.Doc {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on('update', (u: Uint8Array, origin: unknown) => origin !== b && Y.applyUpdate(b, u, a));
  b.on('update', (u: Uint8Array, origin: unknown) => origin !== a && Y.applyUpdate(a, u, b));
  for (let i = 0; i < messages; i++) {
    const writer = i % 2 === 0 ? a : b;
    writer.getArray('messages').push([{ id: `m${i}`, author: i % 2 === 0 ? 'ada' : 'bob', text: `message ${i} with some text to take room` }]);
    if (i % 97 === 0) writer.getMap('meta').set('title', `title ${i}`);
    if (i % 13 === 0) writer.getText('draft').insert(0, `draft ${i} `);
  }
  a.getArray('messages').delete(10, 40);
  b.getText('draft').delete(3, 50);
  b.destroy();
  return a;
}

/** Opens the conversation cache database `name` with y-indexeddb's layout, as client/doc-store.ts does. */
const openCache = (name: string): Promise<IDBDatabase> =>
  openDatabase(name, (db) => {
    db.createObjectStore('updates', { autoIncrement: true });
    db.createObjectStore('custom');
  });

/** Every row of the `updates` store, key and bytes. */
async function rowsOf(name: string): Promise<Row[]> {
  const db = await openCache(name);
  try {
    const store = db.transaction('updates', 'readonly').objectStore('updates');
    const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
    return keys.map((key, i) => rowOf(key, values[i] as Uint8Array));
  } finally {
    db.close();
  }
}

/** A new document loaded from `name` through a PieceStore (read, then applied in pieces), and its store. */
async function loadWithStore(name: string, onError?: (error: unknown) => void): Promise<{ doc: Y.Doc; store: PieceStore; db: IDBDatabase }> {
  const doc = new Y.Doc();
  const db = await openCache(name);
  const store = new PieceStore(db, doc, { onError });
  await store.apply(await store.read());
  return { doc, store, db };
}

/** A new document loaded from `name` by stock y-indexeddb 9. */
async function loadWithYIndexeddb(name: string): Promise<Y.Doc> {
  const doc = new Y.Doc();
  const persistence = new IndexeddbPersistence(name, doc);
  await persistence.whenSynced;
  await persistence.destroy();
  return doc;
}

/** Same structs, same deletions, same content. */
function expectSameContent(actual: Y.Doc, expected: Y.Doc): void {
  expect(actual.getArray('messages').toJSON()).to.deep.equal(expected.getArray('messages').toJSON());
  expect(actual.getMap('meta').toJSON()).to.deep.equal(expected.getMap('meta').toJSON());
  expect(actual.getMap('probe').toJSON()).to.deep.equal(expected.getMap('probe').toJSON());
  expect(actual.getText('draft').toString()).to.equal(expected.getText('draft').toString());
  expect(Y.equalSnapshots(Y.snapshot(actual), Y.snapshot(expected)), 'same state vector and delete set').to.equal(true);
}

/** Watches a database connection's `abort` events (the caller reports them as the storage state). */
const watchAborts = (db: IDBDatabase): { count: () => number } => {
  let aborts = 0;
  db.addEventListener('abort', () => aborts++);
  return { count: () => aborts };
};

describe('client: the piece store keeps every update', () => {
  it('loads a cache written by y-indexeddb 9 with identical content, and y-indexeddb loads what it wrote', async () => {
    const name = `parley-test-${crypto.randomUUID()}`;
    const source = historyDoc();
    // y-indexeddb: one row for the whole state (written when it syncs), then one row per later update.
    const writer = new Y.Doc();
    const persistence = new IndexeddbPersistence(name, writer);
    await persistence.whenSynced;
    Y.applyUpdate(writer, Y.encodeStateAsUpdate(source));
    for (let i = 0; i < 30; i++) writer.getMap('probe').set(`y${i}`, i);
    writer.getArray('messages').delete(100, 5);
    await persistence.destroy();
    const expected = writer;
    expect((await rowsOf(name)).length).to.be.greaterThan(30);

    // Through the piece store: identical, then rewritten as pieces (the state was one large row).
    const { doc, store } = await loadWithStore(name);
    expectSameContent(doc, expected);
    await waitFor(() => !store.isCompacting, { what: 'the rewrite as pieces' });
    await store.destroy();
    const pieces = await rowsOf(name);
    expect(pieces.length).to.be.greaterThan(3);
    for (const row of pieces) expect(sizeOf(row)).to.be.lessThan(2 * PIECE_BYTES);

    // Both readers load those pieces identically.
    expectSameContent((await loadWithStore(name)).doc, expected);
    expectSameContent(await loadWithYIndexeddb(name), expected);
  });

  it('writes pieces and later updates that y-indexeddb 9 loads with identical content', async () => {
    const name = `parley-test-${crypto.randomUUID()}`;
    // A document that exists before its store (as a conversation written before storage opened), then edits.
    const doc = historyDoc();
    const db = await openCache(name);
    const store = new PieceStore(db, doc);
    await store.apply(await store.read());
    await store.compact();
    doc.getArray('messages').delete(0, 3);
    for (let i = 0; i < 20; i++) doc.getMap('probe').set(`p${i}`, i);
    doc.getText('draft').insert(5, 'after compaction ');
    await store.destroy();
    const rows = await rowsOf(name);
    expect(rows.filter((r) => sizeOf(r) > PIECE_BYTES / 2).length, 'several pieces').to.be.greaterThan(2);

    const stock = await loadWithYIndexeddb(name);
    expectSameContent(stock, doc);
    expectSameContent((await loadWithStore(name)).doc, doc);
  });

  it('compacts atomically: an abort after the pieces are added and the rows deleted leaves the old rows exactly', async () => {
    const name = `parley-test-${crypto.randomUUID()}`;
    const { doc, store, db } = await loadWithStore(name);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(historyDoc()));
    for (let i = 0; i < 40; i++) doc.getMap('probe').set(`p${i}`, i);
    await waitFor(async () => (await rowsOf(name)).length === 41, { what: 'every update stored' });
    const before = await rowsOf(name);
    const aborts = watchAborts(db);

    // The transaction is aborted as a failing commit would be (quota), right after its last request.
    const original = IDBObjectStore.prototype.delete;
    IDBObjectStore.prototype.delete = function (this: IDBObjectStore, query: IDBValidKey | IDBKeyRange) {
      const req = original.call(this, query);
      this.transaction.abort();
      return req;
    };
    try {
      await store.compact();
    } finally {
      IDBObjectStore.prototype.delete = original;
    }
    // The abort reaches the database, where client/doc-store.ts turns it into the storage state.
    await waitFor(() => aborts.count() === 1, { what: 'the abort event on the database' });
    expect(await rowsOf(name)).to.deep.equal(before);
    await store.destroy();
    expectSameContent((await loadWithStore(name)).doc, doc);
  });

  it('compacts atomically: a connection closed while the pieces are cut writes nothing and reports it', async () => {
    const name = `parley-test-${crypto.randomUUID()}`;
    const errors: unknown[] = [];
    const { doc, store, db } = await loadWithStore(name, (error) => errors.push(error));
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(historyDoc()));
    doc.getMap('probe').set('last', 1);
    await waitFor(async () => (await rowsOf(name)).length === 2, { what: 'both updates stored' });
    const before = await rowsOf(name);
    const compaction = store.compact();
    await waitFor(() => store.isCompacting, { what: 'compaction under way' });
    // The browser (storage cleared) or another tab (deleting the database) closes the connection mid-way.
    db.close();
    await compaction;
    expect(errors.length).to.equal(1);
    expect(String(errors[0])).to.contain('InvalidStateError');
    expect(await rowsOf(name)).to.deep.equal(before);
    expectSameContent((await loadWithStore(name)).doc, doc);
  });

  it('two stores on one database, writing and compacting at the same time, lose none of each other’s updates', async () => {
    const name = `parley-test-${crypto.randomUUID()}`;
    // A shared history both load, then two documents that never sync with each other (the worst case: each
    // store must keep the other's rows until it has applied them).
    const seed = historyDoc(2_000);
    const seeded = await loadWithStore(name);
    Y.applyUpdate(seeded.doc, Y.encodeStateAsUpdate(seed));
    await seeded.store.destroy();
    const a = await loadWithStore(name);
    const b = await loadWithStore(name);
    const random = seededRandom(13).next;
    const written = { a: 0, b: 0 };
    const compactions: Promise<void>[] = [];
    for (let round = 0; round < 200; round++) {
      const [side, key] = random() < 0.5 ? ([a, 'a'] as const) : ([b, 'b'] as const);
      const n = written[key]++;
      side.doc.getMap('probe').set(`${key}${n}`, n);
      if (random() < 0.3) side.doc.getArray('messages').push([{ id: `${key}-m${n}`, author: key, text: `from ${key}` }]);
      if (random() < 0.15) side.doc.getArray('messages').delete(Math.floor(random() * 1_000), 1);
      // Compactions start at random moments and overlap each other and later writes.
      if (random() < 0.08) compactions.push(side.store.compact());
      if (random() < 0.3) await nextTask();
    }
    await Promise.all(compactions);
    await a.store.compact();
    await b.store.compact();
    await Promise.all([a.store.destroy(), b.store.destroy()]);

    // What both wrote, merged: the cache must hold exactly that.
    const merged = new Y.Doc();
    Y.applyUpdate(merged, Y.encodeStateAsUpdate(a.doc));
    Y.applyUpdate(merged, Y.encodeStateAsUpdate(b.doc));
    expect(merged.getMap('probe').size).to.equal(written.a + written.b);
    const fresh = await loadWithStore(name);
    expectSameContent(fresh.doc, merged);
    expectSameContent(await loadWithYIndexeddb(name), merged);
    await fresh.store.destroy();
  });

  it('destroyed while loading: stops applying, changes no row, and the next load is complete', async () => {
    const name = `parley-test-${crypto.randomUUID()}`;
    const source = historyDoc();
    const seeded = await loadWithStore(name);
    Y.applyUpdate(seeded.doc, Y.encodeStateAsUpdate(source));
    await seeded.store.compact();
    await seeded.store.destroy();
    const before = await rowsOf(name);
    expect(before.length).to.be.greaterThan(3);

    const doc = new Y.Doc();
    const store = new PieceStore(await openCache(name), doc);
    let updates = 0;
    doc.on('update', () => {
      if (++updates === 1) void store.destroy();
    });
    await store.apply(await store.read());
    expect(updates, 'stopped after the first piece').to.equal(1);
    expect(await rowsOf(name)).to.deep.equal(before);
    expectSameContent((await loadWithStore(name)).doc, seeded.doc);
  });

  it('destroyed while compacting: the compaction finishes, and every update made before destroy() is kept', async () => {
    const name = `parley-test-${crypto.randomUUID()}`;
    const { doc, store } = await loadWithStore(name);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(historyDoc()));
    doc.getMap('probe').set('before', 1);
    const compaction = store.compact();
    await waitFor(() => store.isCompacting, { what: 'compaction under way' });
    await nextTask();
    doc.getMap('probe').set('during', 2);
    await store.destroy();
    expect(store.isCompacting).to.equal(false);
    await compaction;
    doc.getMap('probe').set('after', 3); // not stored: the store is closed
    const reloaded = (await loadWithStore(name)).doc;
    expect(reloaded.getMap('probe').toJSON()).to.deep.equal({ before: 1, during: 2 });
    expect(reloaded.getArray('messages').toJSON()).to.deep.equal(doc.getArray('messages').toJSON());
  });

  it('a damaged row another writer stored stops compaction: reported, nothing written or deleted', async () => {
    const name = `parley-test-${crypto.randomUUID()}`;
    const errors: unknown[] = [];
    const { doc, store } = await loadWithStore(name, (error) => errors.push(error));
    doc.getMap('probe').set('kept', 1);
    const other = await openCache(name);
    const tx = other.transaction('updates', 'readwrite');
    tx.objectStore('updates').add(new Uint8Array([5, 200, 1, 2]));
    await new Promise((resolve) => (tx.oncomplete = resolve));
    other.close();
    const before = await rowsOf(name);
    await store.compact();
    await waitFor(() => errors.length === 1, { what: 'the error reported' });
    expect(await rowsOf(name)).to.deep.equal(before);
  });

  it('a write that fails (quota) turns the storage state to failed, keeps the document and every stored row', async () => {
    const user = uniqueUser('Ada');
    const room = uniqueRoom('quota');
    const doc = new Y.Doc();
    const store = persistDoc(doc, user.id, room);
    await store.whenLoaded;
    expect(store.state.status).to.equal('ready');
    doc.getMap('probe').set('stored', 1);
    await waitFor(async () => (await rowsOf(docDbName(user.id, room))).length === 1, { what: 'the first update stored' });
    const before = await rowsOf(docDbName(user.id, room));
    // Chromium reports a full quota as the write transaction aborting with QuotaExceededError.
    const original = IDBObjectStore.prototype.add;
    IDBObjectStore.prototype.add = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      const req = original.call(this, value, key);
      this.transaction.abort();
      return req;
    };
    try {
      doc.getMap('probe').set('refused', 2);
      await waitFor(() => store.state.status === 'failed', { what: 'storage failed' });
    } finally {
      IDBObjectStore.prototype.add = original;
    }
    expect(store.state.error).to.be.a('string').and.not.equal('');
    expect(doc.getMap('probe').get('refused'), 'the document keeps the write').to.equal(2);
    doc.getMap('probe').set('later', 3); // nothing is written any more
    await store.destroy();
    expect(await rowsOf(docDbName(user.id, room))).to.deep.equal(before);
  });

  it('a stored update Yjs cannot read turns the storage state to failed and deletes nothing', async () => {
    const user = uniqueUser('Ada');
    const room = uniqueRoom('damaged');
    const name = docDbName(user.id, room);
    const source = new Y.Doc();
    source.getMap('probe').set('kept', 1);
    const db = await openCache(name);
    const tx = db.transaction('updates', 'readwrite');
    tx.objectStore('updates').add(Y.encodeStateAsUpdate(source));
    tx.objectStore('updates').add(new Uint8Array([5, 200, 1, 2]));
    await new Promise((resolve) => (tx.oncomplete = resolve));
    db.close();
    const before = await rowsOf(name);

    const doc = new Y.Doc();
    const store = persistDoc(doc, user.id, room);
    await store.whenLoaded;
    expect(store.state.status).to.equal('failed');
    expect(store.state.error).to.contain('damaged');
    await store.destroy();
    expect(await rowsOf(name)).to.deep.equal(before);
  });
});
