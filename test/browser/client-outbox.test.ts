// The outbox on its own, with the real client database (IndexedDB): it waits until caught up, flushes once, in order, and shares entries between tabs.
import { expect } from '@esm-bundle/chai';
import * as Y from 'yjs';
import { getMessages, newMessageId, readMessageLog, type Writer } from '../../shared/conversation.js';
import { Outbox, type OutboxHost } from '../../client/conversation/outbox.js';
import { localStoreFor, type OutboxEntry } from '../../client/local-store.js';
import { uniqueRoom, uniqueUser, waitFor } from './support/helpers.js';

interface Harness {
  outbox: Outbox;
  doc: Y.Doc;
  host: OutboxHost & { caughtUp: boolean; settled: Set<string>; role: Writer['role'] };
}

const opened: Outbox[] = [];

/** One "tab": an outbox over its own document, sharing the user's database with the other tabs. */
function tab(userId: string, room: string): Harness {
  const doc = new Y.Doc();
  const host = {
    room,
    userId,
    doc,
    store: localStoreFor(userId),
    caughtUp: false,
    settled: new Set<string>(),
    role: 'write' as Writer['role'],
    writer(): Writer {
      return { userId, role: host.role };
    },
    isCaughtUp: () => host.caughtUp,
    isClosed: () => false,
    changed: () => undefined,
    settledIds: () => host.settled,
  };
  const outbox = new Outbox(host);
  outbox.load([]);
  opened.push(outbox);
  return { outbox, doc, host };
}

const entry = (room: string, text: string, createdAt: number): OutboxEntry => ({ room, id: newMessageId(), text, createdAt });
const inDoc = (doc: Y.Doc): string[] => getMessages(doc).map((m) => m.text);

describe('client: outbox', () => {
  afterEach(() => {
    for (const outbox of opened.splice(0)) outbox.close();
  });

  it('keeps messages while not caught up, then appends them once, oldest first', async () => {
    const { id } = uniqueUser('Ada');
    const room = uniqueRoom('outbox');
    const { outbox, doc, host } = tab(id, room);
    await outbox.add(entry(room, 'second', 2));
    await outbox.add(entry(room, 'first', 1));
    outbox.flush(); // not caught up: nothing happens
    expect(inDoc(doc)).to.deep.equal([]);
    expect((await host.store.outbox(room)).map((e) => e.text)).to.deep.equal(['first', 'second']);
    host.caughtUp = true;
    outbox.flush();
    outbox.flush(); // a second request during the flush runs one more pass, which appends nothing twice
    await waitFor(() => inDoc(doc).length === 2, { what: 'both queued messages in the document' });
    expect(inDoc(doc)).to.deep.equal(['first', 'second']);
    await outbox.whenIdle();
    outbox.flush();
    await outbox.whenIdle();
    expect(doc.getArray('messages').length, 'records in the shared array').to.equal(2);
  });

  it('lets entries leave memory and storage only once they are settled (in the document and durable)', async () => {
    const { id } = uniqueUser('Ada');
    const room = uniqueRoom('outbox-prune');
    const { outbox, doc, host } = tab(id, room);
    const e = entry(room, 'hello', 1);
    await outbox.add(e);
    host.caughtUp = true;
    outbox.flush();
    await waitFor(() => readMessageLog(doc).byId.has(e.id), { what: 'the message in the document' });
    await outbox.prune();
    expect(outbox.entries.map((x) => x.id)).to.deep.equal([e.id]);
    host.settled.add(e.id);
    await outbox.prune();
    expect(outbox.entries).to.deep.equal([]);
    expect(await host.store.outbox(room)).to.deep.equal([]);
  });

  it('marks an entry the model refuses at flush time as failed and keeps it', async () => {
    const { id } = uniqueUser('Rita');
    const room = uniqueRoom('outbox-refused');
    const { outbox, doc, host } = tab(id, room);
    await outbox.add(entry(room, 'written before the role was known', 1));
    host.role = 'read';
    host.caughtUp = true;
    outbox.flush();
    await waitFor(() => outbox.entries[0]?.error, { what: 'the entry marked failed' });
    expect(outbox.entries[0]!.error).to.contain('read');
    expect(inDoc(doc)).to.deep.equal([]);
    expect((await host.store.outbox(room))[0]!.error).to.equal(outbox.entries[0]!.error);
  });

  it('shares entries with the user\'s other tabs: an entry deleted in one is not flushed by the other', async () => {
    const { id } = uniqueUser('Ada');
    const room = uniqueRoom('outbox-tabs');
    const one = tab(id, room);
    const two = tab(id, room);
    const kept = entry(room, 'kept', 1);
    const dropped = entry(room, 'dropped', 2);
    await one.outbox.add(kept);
    await one.outbox.add(dropped);
    await waitFor(() => two.outbox.entries.length === 2, { what: 'tab two hears of both entries' });
    await two.outbox.remove(two.outbox.entries.find((e) => e.id === dropped.id)!);
    await waitFor(() => one.outbox.entries.length === 1, { what: 'tab one hears of the delete' });
    one.host.caughtUp = true;
    one.outbox.flush();
    await waitFor(() => inDoc(one.doc).length === 1, { what: 'tab one flushed' });
    expect(inDoc(one.doc)).to.deep.equal(['kept']);
  });
});
