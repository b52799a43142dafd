// Local full-text search in real Chromium: the worker, IndexedDB persistence, incremental updates from Y.Docs, bad queries, logout.
import { expect } from '@esm-bundle/chai';
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { deleteMessage, editMessage, sendMessage, type Writer } from '../../shared/conversation.js';
import { docDbName, listDatabases } from '../../client/idb.js';
import { logout } from '../../client/logout.js';
import { LocalSearch, openLocalSearch } from '../../client/search/local-search.js';
import { searchDbName } from '../../client/search/index-store.js';
import type { SearchResponse } from '../../client/search/search-types.js';
import { MAX_QUERY_TERMS } from '../../client/search/text.js';
import { uniqueRoom, uniqueUser, waitFor } from './support/helpers.js';

const ada: Writer = { userId: 'ada', role: 'write' };
const bob: Writer = { userId: 'bob', role: 'write' };

const open: LocalSearch[] = [];
function start(userId: string): LocalSearch {
  const search = openLocalSearch({ userId });
  open.push(search);
  return search;
}

const ids = (response: SearchResponse): string[] => response.hits.map((h) => h.messageId).sort();

/** Waits until searching `text` finds exactly `expected` (message ids). */
async function expectFound(search: LocalSearch, text: string, expected: string[], extra: object = {}): Promise<SearchResponse> {
  let last: SearchResponse | undefined;
  await waitFor(async () => {
    last = await search.search({ text, ...extra });
    return JSON.stringify(ids(last)) === JSON.stringify([...expected].sort());
  }, { what: `search "${text}" to find ${JSON.stringify(expected)} (last: ${JSON.stringify(last && ids(last))})` }).catch(() => {
    throw new Error(`search "${text}" ${JSON.stringify(extra)} found ${JSON.stringify(last && ids(last))}, expected ${JSON.stringify(expected)}`);
  });
  return last!;
}

/** Reads the stored snapshot and journal of the user's search database as text (gunzipped). */
async function storedText(userId: string): Promise<string> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(searchDbName(userId));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const tx = db.transaction(['snapshot', 'journal'], 'readonly');
  const [snapshot, journal] = await Promise.all([
    new Promise<{ data: ArrayBuffer } | undefined>((r) => { const q = tx.objectStore('snapshot').get('current'); q.onsuccess = () => r(q.result); }),
    new Promise<unknown[]>((r) => { const q = tx.objectStore('journal').getAll(); q.onsuccess = () => r(q.result); }),
  ]);
  db.close();
  const json = snapshot ? await new Response(new Blob([snapshot.data]).stream().pipeThrough(new DecompressionStream('gzip'))).text() : '';
  return json + JSON.stringify(journal);
}

describe('local search', () => {
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('finds words and prefixes whatever their case and accents, ranked, with highlights and where they come from', async () => {
    const user = uniqueUser('Searcher');
    const search = start(user.id);
    const room = uniqueRoom('search-basic');
    const doc = new Y.Doc();
    const cafe = sendMessage(doc, ada, { text: 'Meet at the Café Crème tomorrow?' });
    const other = sendMessage(doc, bob, { text: 'cafe cafe cafe, CAFÉ again' });
    sendMessage(doc, bob, { text: 'nothing to see here' });
    search.watch(room, doc);

    const byAccentless = await expectFound(search, 'cafe', [cafe.id, other.id]);
    // More occurrences rank higher.
    expect(byAccentless.hits[0]!.messageId).to.equal(other.id);
    await expectFound(search, 'CRÈME', [cafe.id]);
    await expectFound(search, 'caf', [cafe.id, other.id]);
    await expectFound(search, 'tomor cafe', [cafe.id]);
    await expectFound(search, 'cafe nothing', []);
    const { hits } = await search.search({ text: 'creme' });
    const hit = hits[0]!;
    expect(hit.room).to.equal(room);
    expect(hit.author).to.equal('ada');
    expect(hit.createdAt).to.equal(cafe.createdAt);
    expect(hit.terms).to.deep.equal(['creme']);
    expect(hit.highlights.map(([s, e]) => hit.text.slice(s, e))).to.deep.equal(['Crème']);
  });

  it('filters by conversation, author, attachment and date', async () => {
    const search = start(uniqueUser('Filter').id);
    const [r1, r2] = [uniqueRoom('search-f1'), uniqueRoom('search-f2')];
    const d1 = new Y.Doc();
    const d2 = new Y.Doc();
    const a = sendMessage(d1, ada, { text: 'budget report draft' });
    const b = sendMessage(d1, bob, { text: 'budget numbers', attachments: [{ blob: 'a'.repeat(64), name: 'q3.pdf', type: 'application/pdf', size: 10 }] });
    const c = sendMessage(d2, ada, { text: 'budget meeting' });
    search.watch(r1, d1);
    search.watch(r2, d2);
    await expectFound(search, 'budget', [a.id, b.id, c.id]);
    await expectFound(search, 'budget', [a.id, b.id], { room: r1 });
    await expectFound(search, 'budget', [a.id, c.id], { author: 'ada' });
    await expectFound(search, 'budget', [b.id], { hasAttachment: true });
    await expectFound(search, 'q3', [b.id]);
    await expectFound(search, 'budget', [a.id, c.id], { hasAttachment: false });
    await expectFound(search, 'budget', [], { from: Date.now() + 60_000 });
    await expectFound(search, 'budget', [a.id, b.id, c.id], { from: a.createdAt, to: Date.now() + 60_000 });
  });

  it('follows edits and deletions: old and deleted text leaves the index, in memory and in IndexedDB', async () => {
    const user = uniqueUser('Editor');
    const search = start(user.id);
    const room = uniqueRoom('search-edit');
    const doc = new Y.Doc();
    search.watch(room, doc);
    const m = sendMessage(doc, ada, { text: 'the password is zebrafish' });
    const n = sendMessage(doc, bob, { text: 'secret plan quokka' });
    await expectFound(search, 'zebrafish', [m.id]);
    await expectFound(search, 'quokka', [n.id]);
    await search.flush();
    expect(await storedText(user.id)).to.contain('zebrafish');

    editMessage(doc, ada, m.id, 'the password is redacted');
    deleteMessage(doc, bob, n.id);
    await expectFound(search, 'zebrafish', []);
    await expectFound(search, 'redacted', [m.id]);
    await expectFound(search, 'quokka', []);
    const stats = await search.flush();
    expect(stats.messages).to.equal(1);
    const stored = await storedText(user.id);
    expect(stored).not.to.contain('zebrafish');
    expect(stored).not.to.contain('quokka');
    expect(stored).to.contain('redacted');
  });

  it('keeps the index across sessions and catches up with what a document gained meanwhile', async () => {
    const user = uniqueUser('Keeper');
    const room = uniqueRoom('search-keep');
    const doc = new Y.Doc();
    const first = sendMessage(doc, ada, { text: 'persistent walrus' });
    let search = start(user.id);
    search.watch(room, doc);
    await expectFound(search, 'walrus', [first.id]);
    await search.close();

    // While nobody watched: a new message, and the first one deleted.
    const second = sendMessage(doc, bob, { text: 'another walrus arrives' });
    search = start(user.id);
    const opened = await search.ready;
    expect(opened.messages).to.equal(1);
    await expectFound(search, 'persistent', [first.id]);
    deleteMessage(doc, ada, first.id);
    search.watch(room, doc);
    await expectFound(search, 'walrus', [second.id]);
    await expectFound(search, 'persistent', []);
  });

  it('keeps what two tabs indexed when each writes a snapshot (two workers on one database)', async () => {
    const user = uniqueUser('Tabs');
    const [r1, r2] = [uniqueRoom('search-tab1'), uniqueRoom('search-tab2')];
    const tab1 = new LocalSearch({ userId: user.id });
    const tab2 = new LocalSearch({ userId: user.id });
    open.push(tab1, tab2);
    await Promise.all([tab1.ready, tab2.ready]);
    const d1 = new Y.Doc();
    const d2 = new Y.Doc();
    const m1 = sendMessage(d1, ada, { text: 'first tab platypus' });
    const m2 = sendMessage(d2, bob, { text: 'second tab platypus' });
    // Tab 2 journals first, then tab 1 (a higher journal key), then tab 1 compacts: the journal entries it
    // drops include tab 2's, so its snapshot must hold tab 2's message too.
    tab2.watch(r2, d2);
    await expectFound(tab2, 'platypus', [m2.id]);
    await waitFor(async () => (await tab2.stats()).journalEntries > 0, { what: 'tab 2 journalled its change' });
    tab1.watch(r1, d1);
    await expectFound(tab1, 'platypus', [m1.id]);
    await waitFor(async () => (await tab1.stats()).journalEntries > 0, { what: 'tab 1 journalled its change' });
    await tab1.flush();
    await tab2.close();
    await tab1.close();
    const later = start(user.id);
    await expectFound(later, 'platypus', [m1.id, m2.id]);
  });

  it('indexes every conversation cached on the device, in the worker', async () => {
    const user = uniqueUser('Cached');
    const rooms = [uniqueRoom('search-cached'), uniqueRoom('search-cached')];
    const expected: string[] = [];
    for (const room of rooms) {
      const doc = new Y.Doc();
      expected.push(sendMessage(doc, ada, { text: `offline narwhal in ${room}` }).id);
      const persistence = new IndexeddbPersistence(docDbName(user.id, room), doc);
      await persistence.whenSynced;
      await persistence.destroy();
    }
    const search = start(user.id);
    const result = await search.indexCached();
    expect(result.rooms).to.equal(2);
    expect(result.upserts).to.equal(2);
    await expectFound(search, 'narwhal', expected);
    // Nothing changed: a second scan applies nothing.
    expect((await search.indexCached()).upserts).to.equal(0);
  });

  it('never lets a scan of cached conversations undo what a followed conversation indexed (its cached copy lags behind)', async () => {
    const user = uniqueUser('Lagging');
    const [live, closed] = [uniqueRoom('search-lag-live'), uniqueRoom('search-lag-closed')];
    const fresh: Record<string, string> = {};
    const stale: Record<string, string> = {};
    const docs: Record<string, Y.Doc> = {};
    for (const room of [live, closed]) {
      // The device's cached copy: one message, later deleted in the open document before the cache caught up.
      const cached = new Y.Doc();
      stale[room] = sendMessage(cached, ada, { text: `stale okapi in ${room}` }).id;
      const persistence = new IndexeddbPersistence(docDbName(user.id, room), cached);
      await persistence.whenSynced;
      await persistence.destroy();
      // The open document: the cached state, then a new message and the deletion, not (yet) written to the cache.
      const doc = new Y.Doc();
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(cached));
      fresh[room] = sendMessage(doc, bob, { text: `fresh okapi in ${room}` }).id;
      deleteMessage(doc, ada, stale[room]!);
      docs[room] = doc;
    }
    const search = start(user.id);
    search.watch(live, docs[live]!);
    const stop = search.watch(closed, docs[closed]!);
    await expectFound(search, 'okapi', [fresh[live]!, fresh[closed]!]);
    // One conversation was closed before its cache caught up (watching stopped); the other is still followed.
    stop();
    const scan = await search.indexCached();
    expect(scan.rooms).to.equal(2);
    // Neither does the deleted message come back, nor does the new one go.
    expect(ids(await search.search({ text: 'okapi' }))).to.deep.equal([fresh[live]!, fresh[closed]!].sort());
    expect(ids(await search.search({ text: 'stale' }))).to.deep.equal([]);
  });

  it('treats regex metacharacters as separators, bounds long queries and says when only stop words were typed', async () => {
    const search = start(uniqueUser('Bad').id);
    const room = uniqueRoom('search-bad');
    const doc = new Y.Doc();
    const m = sendMessage(doc, ada, { text: 'price is $(10) [approx] a.*b c++ \\d+' });
    search.watch(room, doc);
    await expectFound(search, 'price', [m.id]);
    for (const text of ['.*', '(', '[', '\\', '$(10)', '^price$', 'a.*b', '(?<x>', '*', '+', '|', '?']) {
      const response = await search.search({ text });
      expect(response.hits.length, text).to.be.at.most(1);
    }
    expect(ids(await search.search({ text: '$(10)' }))).to.deep.equal([m.id]);
    expect(ids(await search.search({ text: '[approx' }))).to.deep.equal([m.id]);

    const long = await search.search({ text: 'price '.repeat(20_000) + ' zzz' });
    expect(long.truncated).to.equal(true);
    expect(long.terms).to.deep.equal(['price']);
    const many = await search.search({ text: Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ') });
    expect(many.truncated).to.equal(true);
    expect(many.terms.length).to.equal(MAX_QUERY_TERMS);
    expect(many.hits).to.deep.equal([]);

    const stop = await search.search({ text: 'the and of a is' });
    expect(stop.hits).to.deep.equal([]);
    expect(stop.terms).to.deep.equal([]);
    expect(stop.ignored).to.deep.equal(['the', 'and', 'of', 'a', 'is']);
    expect((await search.search({ text: '' })).hits).to.deep.equal([]);
    expect((await search.search({ text: 42 as unknown as string })).hits).to.deep.equal([]);
    expect((await search.search({ text: 'price', limit: -5 })).hits.length).to.equal(1);
  });

  it('streams results as the user types, never delivering a stale answer last, and re-runs when messages arrive', async () => {
    const search = start(uniqueUser('Live').id);
    const room = uniqueRoom('search-live');
    const doc = new Y.Doc();
    const m = sendMessage(doc, ada, { text: 'kangaroo court' });
    search.watch(room, doc);
    await expectFound(search, 'kangaroo', [m.id]);
    const seen: { text: string; ids: string[] }[] = [];
    const live = search.live((response, request) => seen.push({ text: request.text, ids: ids(response) }));
    for (const text of ['k', 'ka', 'kan', 'kang', 'kanga']) live.update({ text });
    await waitFor(() => seen.at(-1)?.text === 'kanga');
    expect(seen.at(-1)!.ids).to.deep.equal([m.id]);
    const n = sendMessage(doc, bob, { text: 'kangaroo island' });
    await waitFor(() => seen.at(-1)?.ids.length === 2, { what: 'the live search to see the new message' });
    expect(seen.at(-1)!.ids).to.deep.equal([m.id, n.id].sort());
    live.close();
  });

  it('is deleted by logout, and its worker stops', async () => {
    const user = uniqueUser('Leaver');
    const search = start(user.id);
    const room = uniqueRoom('search-logout');
    const doc = new Y.Doc();
    const m = sendMessage(doc, ada, { text: 'confidential aardvark' });
    search.watch(room, doc);
    await expectFound(search, 'aardvark', [m.id]);
    await search.flush();
    expect(await listDatabases()).to.include(searchDbName(user.id));
    await logout(user.id);
    expect(await listDatabases()).not.to.include(searchDbName(user.id));
    let error: unknown;
    await search.search({ text: 'aardvark' }).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/logged out/);
    // A new session starts empty.
    const fresh = start(user.id);
    expect((await fresh.ready).messages).to.equal(0);
  });
});
