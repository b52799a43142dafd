// The items a transaction added to / deleted from an array, from its own ranges, against Yjs's `event.changes` (which walks the array).
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { forEachAddedItem, forEachDeletedItem } from '../../relay/transaction-items.js';
import { seeded } from '../support/seeded.js';

interface Seen {
  changes: { added: string[]; deleted: string[] };
  ranges: { added: string[]; deleted: string[] };
}

/** Watches `messages` of `doc` and records, for each transaction, both views of what it added and deleted. */
const watch = (doc: Y.Doc): Seen[] => {
  const seen: Seen[] = [];
  const messages = doc.getArray<{ id: string }>('messages');
  // Sorted: the range functions visit in client/clock order, Yjs's walk in document order.
  const ids = (items: Iterable<Y.Item>) => [...items].flatMap((item) => item.content.getContent().map((v) => (v as { id: string }).id)).sort();
  messages.observe((event, transaction) => {
    const added: Y.Item[] = [];
    const deleted: string[] = [];
    forEachAddedItem(transaction, messages, (item) => added.push(item));
    forEachDeletedItem(transaction, messages, (item, from, to) => {
      for (const value of item.content.getContent().slice(from, to)) deleted.push((value as { id: string }).id);
    });
    seen.push({
      changes: { added: ids(event.changes.added), deleted: ids(event.changes.deleted) },
      ranges: { added: ids(added), deleted: deleted.sort() },
    });
  });
  return seen;
};

describe('transaction items', () => {
  it('finds what event.changes finds, for random local and remote inserts, deletes and replacements', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = seeded(seed).next;
      const docs = [new Y.Doc(), new Y.Doc(), new Y.Doc()];
      const observed = new Y.Doc();
      const seen = watch(observed);
      let n = 0;
      for (let step = 0; step < 200; step++) {
        const doc = docs[Math.floor(next() * docs.length)]!;
        const messages = doc.getArray<{ id: string }>('messages');
        doc.transact(() => {
          const ops = 1 + Math.floor(next() * 3);
          for (let op = 0; op < ops; op++) {
            const roll = next();
            if (roll < 0.5 || messages.length === 0) {
              const count = 1 + Math.floor(next() * 3);
              const values = Array.from({ length: count }, () => ({ id: `m${n++}` }));
              messages.insert(Math.floor(next() * (messages.length + 1)), values);
            } else if (roll < 0.8) {
              const at = Math.floor(next() * messages.length);
              messages.delete(at, Math.min(1 + Math.floor(next() * 3), messages.length - at));
            } else {
              // A replacement (an edit): delete one record and insert another in its place.
              const at = Math.floor(next() * messages.length);
              messages.delete(at, 1);
              messages.insert(at, [{ id: `m${n++}` }]);
            }
          }
        });
        // Sync every document with every other one, through the observed one, one update at a time.
        Y.applyUpdate(observed, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(observed)));
        for (const other of docs) Y.applyUpdate(other, Y.encodeStateAsUpdate(observed, Y.encodeStateVector(other)));
      }
      // Transactions applied locally too: insert and delete in one transaction are neither added nor deleted.
      const local = observed.getArray<{ id: string }>('messages');
      observed.transact(() => {
        local.insert(0, [{ id: 'local-a' }, { id: 'local-b' }]);
        local.delete(0, 1);
        local.delete(local.length - 1, 1);
      });
      expect(seen.length).toBeGreaterThan(100);
      for (const [i, s] of seen.entries()) expect(s.ranges, `seed ${seed}, transaction ${i}`).toEqual(s.changes);
      expect(seen.some((s) => s.changes.deleted.length > 0 && s.changes.added.length > 0)).toBe(true);
      const last = seen.at(-1)!;
      expect(last.ranges.added).toEqual(['local-b']);
    }
  });

  it('reads only what the transaction touched, however long the history', () => {
    const doc = new Y.Doc();
    const messages = doc.getArray<{ id: string }>('messages');
    // A long history from two alternating clients, so the array holds thousands of separate items.
    for (let i = 0; i < 3000; i++) {
      doc.clientID = 1000 + (i % 2);
      messages.push([{ id: `h${i}` }]);
    }
    // Counts every read of an item's right neighbour, by whoever is looking at the transaction.
    const reads = { ranges: 0, changes: 0 };
    let reader: keyof typeof reads | undefined;
    for (let item = messages._start; item !== null; item = item.right) {
      let right = item.right;
      Object.defineProperty(item, 'right', {
        get: () => {
          if (reader) reads[reader]++;
          return right;
        },
        set: (value: Y.Item | null) => {
          right = value;
        },
      });
    }
    const added: string[] = [];
    const deleted: string[] = [];
    messages.observe((event, transaction) => {
      reader = 'ranges';
      forEachAddedItem(transaction, messages, (item) => added.push((item.content.getContent()[0] as { id: string }).id));
      forEachDeletedItem(transaction, messages, (item, from) => deleted.push((item.content.getContent()[from] as { id: string }).id));
      // What the range functions replace: Yjs's own view, which walks the whole history.
      reader = 'changes';
      expect(event.changes.added.size).toBe(1);
      reader = undefined;
    });
    // The change arrives as a remote update, as at the relay: a deletion in the middle and one new record.
    const remote = new Y.Doc();
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(doc));
    remote.transact(() => {
      remote.getArray('messages').delete(10, 1);
      remote.getArray('messages').push([{ id: 'new' }]);
    });
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(doc)));
    expect({ added, deleted }).toEqual({ added: ['new'], deleted: ['h10'] });
    expect(reads.ranges).toBe(0);
    expect(reads.changes).toBeGreaterThanOrEqual(3000);
  });
});
