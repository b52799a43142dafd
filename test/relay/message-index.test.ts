// The relay's message index against the conversation as the model reads it: lookups, record counts and O(1) order keys.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMessageIndex } from '../../relay/message-index.js';
import { readMessageLog } from '../../shared/message-log.js';
import type { MessageRecord } from '../../shared/schema.js';
import { recordBy } from './hostile-updates.js';
import { seeded } from '../support/seeded.js';

/** Checks the index's view of `doc` against a fresh read of its messages. */
function expectConsistent(doc: Y.Doc, index: ReturnType<typeof createMessageIndex>): void {
  const log = readMessageLog(doc);
  expect(index.size).toBe(log.list.length);
  const ids = log.list.map((m) => m.current.record.id);
  for (const message of log.list) {
    expect(index.get(message.current.record.id)).toEqual(message.current.record);
    expect(index.recordCount(message.current.record.id)).toBe(message.records.length);
  }
  // Conversation order: each message after the previous one (and so, by transitivity, after all before it).
  for (let i = 1; i < ids.length; i++) {
    expect(index.compare(ids[i]!, ids[i - 1]!), `${ids[i]} after ${ids[i - 1]}`).toBeGreaterThan(0);
    expect(index.compare(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
  }
}

describe('message index', () => {
  it('keeps lookups and order right through concurrent inserts, edits in place and deletes from three replicas', () => {
    const next = seeded(7).next;
    const room = new Y.Doc();
    const index = createMessageIndex(room);
    const replicas = [1, 2, 3].map((client) => {
      const doc = new Y.Doc();
      doc.clientID = client;
      return doc;
    });
    let counter = 0;
    for (let round = 0; round < 80; round++) {
      for (const doc of replicas) {
        Y.applyUpdate(doc, Y.encodeStateAsUpdate(room));
        const messages = doc.getArray<MessageRecord>('messages');
        const ops = 1 + Math.floor(next() * 4);
        for (let op = 0; op < ops; op++) {
          const choice = next();
          const at = Math.floor(next() * (messages.length + 1));
          if (choice < 0.6 || messages.length === 0) {
            const count = 1 + Math.floor(next() * 3);
            messages.insert(at, Array.from({ length: count }, () => recordBy(`u${doc.clientID}`, counter++)));
          } else if (choice < 0.85) {
            // An edit replaces the record in place.
            const i = Math.min(at, messages.length - 1);
            const old = messages.get(i);
            doc.transact(() => {
              messages.delete(i, 1);
              messages.insert(i, [{ ...old, text: `${old.text}!`, editedAt: (old.editedAt ?? old.createdAt) + 1 }]);
            });
          } else {
            messages.delete(Math.min(at, messages.length - 1), 1);
          }
        }
      }
      // Replicas reach the room in a random order, each update concurrent with the others'.
      for (const doc of [...replicas].sort(() => next() - 0.5)) Y.applyUpdate(room, Y.encodeStateAsUpdate(doc));
      if (round % 10 === 9) expectConsistent(room, index);
    }
    expectConsistent(room, index);
  });

  it('stays ordered when insertion at one spot exhausts the keys between two records (renumbering)', () => {
    const room = new Y.Doc();
    const index = createMessageIndex(room);
    const messages = room.getArray<MessageRecord>('messages');
    messages.push([recordBy('a', 0), recordBy('a', 1), recordBy('a', 2)]);
    // Each new message goes right after the second (key 1), so the gap to the previous newcomer halves every time:
    // a double runs out of distinct values after about 52 halvings.
    for (let i = 3; i < 300; i++) messages.insert(2, [recordBy('a', i)]);
    expectConsistent(room, index);
  });

  it('keeps its id table right as it grows, loses most of its messages and grows again (removed cells, rehashing)', () => {
    const room = new Y.Doc();
    const messages = room.getArray<MessageRecord>('messages');
    messages.push(Array.from({ length: 200 }, (_, i) => recordBy('a', i)));
    const index = createMessageIndex(room);
    for (let i = 200; i < 3000; i++) messages.push([recordBy('b', i)]);
    expectConsistent(room, index);
    // Deleting most messages leaves removed cells behind; new ones must still be found past them.
    messages.delete(100, 2500);
    expect(index.get(recordBy('b', 1000).id)).toBeUndefined();
    expect(index.recordCount(recordBy('b', 1000).id)).toBe(0);
    for (let i = 3000; i < 6000; i++) messages.insert(i % 2 === 0 ? 0 : messages.length, [recordBy('c', i)]);
    expectConsistent(room, index);
    // A message deleted and sent again is found again.
    messages.push([recordBy('b', 1000)]);
    expect(index.get(recordBy('b', 1000).id)).toEqual(recordBy('b', 1000));
    expectConsistent(room, index);
  });

  it('follows a message with many live records (re-sends and edits) until all of them are gone at once', () => {
    const room = new Y.Doc();
    const index = createMessageIndex(room);
    const messages = room.getArray<MessageRecord>('messages');
    const original = recordBy('a', 1);
    messages.push([recordBy('a', 0), original, recordBy('a', 2)]);
    // Re-sends of the same record, then an edit among them: the edit wins, the count covers every copy.
    messages.push(Array.from({ length: 50 }, () => ({ ...original })));
    messages.insert(10, [{ ...original, text: 'edited', editedAt: original.createdAt + 5 }]);
    expect(index.recordCount(original.id)).toBe(52);
    expect(index.get(original.id)?.text).toBe('edited');
    expectConsistent(room, index);
    // Removing the winning edit hands the message back to the earliest copy.
    messages.delete(10, 1);
    expect(index.get(original.id)).toEqual(original);
    expect(index.recordCount(original.id)).toBe(51);
    // Every copy deleted in one transaction: the message is gone, the others stay in order.
    room.transact(() => {
      for (let i = messages.length - 1; i >= 0; i--) if (messages.get(i).id === original.id) messages.delete(i, 1);
    });
    expect(index.get(original.id)).toBeUndefined();
    expect(index.recordCount(original.id)).toBe(0);
    expect(index.size).toBe(2);
    expectConsistent(room, index);
  });
});
