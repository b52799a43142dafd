// The message log patched per transaction (appends, in-place edits and deletions) equals a log built from scratch, after any mix of changes.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  deleteMessage, editMessage, markRead, newMessageId, patchMessageLogs, react, readMessageLog, RuleError, sendMessage, type MessageLog, type MessageRecord, type Writer,
} from '../../shared/conversation.js';
import { alice, bob, linkedDocs } from './helpers.js';
import { seeded } from '../support/seeded.js';

/** The log as plain data: every message with its position, winning record and records (ids, indices, clocks). */
const plain = (log: MessageLog): unknown => ({
  list: log.list.map((m) => ({ position: m.position, current: m.current, records: m.records })),
  byId: [...log.byId.keys()].sort().map((id) => [id, log.byId.get(id)!.position, log.get(id)]),
});

/** A log built from scratch over the same state (a fresh document: nothing cached). */
const rebuilt = (doc: Y.Doc): MessageLog => {
  const clone = new Y.Doc();
  Y.applyUpdate(clone, Y.encodeStateAsUpdate(doc));
  return readMessageLog(clone);
};

describe('message log patched per transaction', () => {
  it('patches a send, an edit and a delete instead of rebuilding, with the same result', () => {
    const doc = new Y.Doc();
    patchMessageLogs(doc);
    const first = sendMessage(doc, alice, { text: 'one' });
    readMessageLog(doc);
    sendMessage(doc, alice, { text: 'two' });
    const appended = readMessageLog(doc);
    expect(appended.patch?.appended).toBe(1);
    expect(plain(appended)).toEqual(plain(rebuilt(doc)));
    editMessage(doc, alice, first.id, 'one, edited');
    const edited = readMessageLog(doc);
    expect(edited.patch?.replaced).toEqual([0]);
    expect(edited.get(first.id)?.text).toBe('one, edited');
    expect(plain(edited)).toEqual(plain(rebuilt(doc)));
    deleteMessage(doc, alice, first.id);
    const deleted = readMessageLog(doc);
    expect(deleted.patch?.replaced).toEqual([0]);
    expect(plain(deleted)).toEqual(plain(rebuilt(doc)));
    // A change elsewhere in the document keeps the cached log as it is.
    react(doc, alice, readMessageLog(doc).list[1]!.current.record.id, '👍');
    expect(readMessageLog(doc)).toBe(deleted);
  });

  it('drops the log at a change on documents that do not ask for patches (the relay reads it now and then)', () => {
    const doc = new Y.Doc();
    sendMessage(doc, alice, { text: 'one' });
    readMessageLog(doc);
    sendMessage(doc, alice, { text: 'two' });
    expect(readMessageLog(doc).patch).toBeUndefined();
    expect(plain(readMessageLog(doc))).toEqual(plain(rebuilt(doc)));
  });

  it('equals a rebuilt log after random sends, edits, deletes, reactions, receipts, concurrent and raw writes', () => {
    for (const seed of [1, 2, 3]) {
      const random = seeded(seed).next;
      const [a, b] = linkedDocs();
      patchMessageLogs(a);
      patchMessageLogs(b);
      // A third replica that syncs only now and then: its writes arrive as concurrent inserts in the middle.
      const c = new Y.Doc();
      const carol: Writer = { userId: 'carol', role: 'write' };
      const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
      let patched = 0;
      for (let step = 0; step < 400; step++) {
        const [doc, writer] = random() < 0.5 ? [a, alice] : [b, bob];
        const log = readMessageLog(doc);
        const mine = log.list.filter((m) => m.current.record.author === writer.userId && !m.current.record.deleted);
        const roll = random();
        try {
          if (roll < 0.45 || log.list.length === 0) sendMessage(doc, writer, { text: `m${step}` });
          else if (roll < 0.6 && mine.length > 0) editMessage(doc, writer, pick(mine)!.current.record.id, `edit ${step}`);
          else if (roll < 0.68 && mine.length > 0) deleteMessage(doc, writer, pick(mine)!.current.record.id);
          else if (roll < 0.76) {
            const target = pick(log.list)!.current.record;
            if (!target.deleted) react(doc, writer, target.id, '🎉');
          } else if (roll < 0.84) {
            const target = pick(log.list.filter((m) => m.current.record.author !== writer.userId));
            if (target) markRead(doc, writer, target.current.record.id);
          } else if (roll < 0.9) sendMessage(c, carol, { text: `offline ${step}` });
          else if (roll < 0.95) {
            // Carol's replica and the others exchange what they lack (concurrent inserts, possibly mid-array).
            Y.applyUpdate(c, Y.encodeStateAsUpdate(a, Y.encodeStateVector(c)));
            Y.applyUpdate(a, Y.encodeStateAsUpdate(c, Y.encodeStateVector(a)));
          } else if (roll < 0.98) {
            // Raw writes the model would not make: an insert in the middle, a record with a known id, junk.
            const messages = doc.getArray<MessageRecord>('messages');
            const at = Math.floor(random() * (messages.length + 1));
            const known = pick(log.list)?.current.record;
            const raw = random() < 0.5 && known ? { ...known, text: 'duplicate', editedAt: Date.now() + step } : { id: newMessageId(), author: writer.userId, text: 'raw', createdAt: step };
            messages.insert(at, [random() < 0.2 ? ({ junk: true } as unknown as MessageRecord) : raw]);
          } else {
            const messages = doc.getArray<MessageRecord>('messages');
            if (messages.length > 0) messages.delete(Math.floor(random() * messages.length), 1);
          }
        } catch (error) {
          // The model refuses some writes on a document with raw records in it (a duplicate's revision): fine.
          if (!(error instanceof RuleError)) throw error;
        }
        for (const replica of [a, b]) {
          const current = readMessageLog(replica);
          if (current.patch) patched++;
          expect(plain(current), `seed ${seed}, step ${step}`).toEqual(plain(rebuilt(replica)));
        }
      }
      // The fast path is the common one, not an accident.
      expect(patched).toBeGreaterThan(300);
    }
  });
});
