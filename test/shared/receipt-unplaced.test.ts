// A receipt is not moved while the replica cannot place its current mark (an edit's delete arrived before its insert).
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { getReceipts, markDelivered, markRead, sendMessage, type MessageRecord, type Writer } from '../../shared/conversation.js';

const alice: Writer = { userId: 'alice', role: 'write' };
const mod: Writer = { userId: 'mod', role: 'admin' };

describe('receipts on a replica that is catching up', () => {
  it('waits instead of writing an entry that would move backwards or drop a mark', () => {
    const doc = new Y.Doc();
    const first = sendMessage(doc, alice, { text: 'first' });
    const second = sendMessage(doc, alice, { text: 'second' });
    expect(markRead(doc, mod, second.id)).toBe(true);
    // The second message's record is deleted here while its replacement is still on the way (pending at Yjs).
    const messages = doc.getArray<MessageRecord>('messages');
    messages.delete(1, 1);
    expect(markDelivered(doc, mod, first.id)).toBe(false);
    expect(doc.getArray('receipts:mod').toArray()).toEqual([{ delivered: second.id, read: second.id }]);
    // Once the replacement is there, receipts move again.
    messages.insert(1, [{ ...second, text: 'second (edited)', editedAt: second.createdAt + 1 }]);
    const third = sendMessage(doc, alice, { text: 'third' });
    expect(markRead(doc, mod, third.id)).toBe(true);
    expect(getReceipts(doc, 'mod')).toEqual({ delivered: third.id, read: third.id });
  });
});
