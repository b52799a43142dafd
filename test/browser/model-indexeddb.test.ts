// Real Chromium: a conversation written through the shared model survives a reload from IndexedDB (y-indexeddb).
import { expect } from '@esm-bundle/chai';
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { deleteMessage, editMessage, getMessages, getReceipts, markRead, react, reactionsSummary, sendMessage } from '../../shared/conversation.js';

const alice = { userId: 'alice', role: 'write' } as const;
const bob = { userId: 'bob', role: 'write' } as const;

describe('conversation in IndexedDB', () => {
  it('writes a conversation, reloads it into a new Y.Doc, and sees the same messages', async () => {
    const name = `parley-test-${crypto.randomUUID()}`;
    const doc = new Y.Doc();
    const persistence = new IndexeddbPersistence(name, doc);
    await persistence.whenSynced;
    const first = sendMessage(doc, alice, { text: 'stored locally' });
    const second = sendMessage(doc, bob, { text: 'reply <b>as text</b>', replyTo: first.id });
    const third = sendMessage(doc, alice, { text: 'to be deleted' });
    editMessage(doc, alice, first.id, 'stored locally (edited)');
    deleteMessage(doc, alice, third.id);
    react(doc, bob, first.id, '👍');
    markRead(doc, bob, third.id);
    const written = getMessages(doc);
    await persistence.destroy(); // flushes and closes the database
    doc.destroy();

    const reloaded = new Y.Doc();
    const again = new IndexeddbPersistence(name, reloaded);
    await again.whenSynced;
    try {
      expect(getMessages(reloaded)).to.deep.equal(written);
      expect(getMessages(reloaded).map((m) => m.text)).to.deep.equal(['stored locally (edited)', 'reply <b>as text</b>', '']);
      expect(getMessages(reloaded)[1]!.replyTo).to.equal(second.replyTo);
      expect(reactionsSummary(reloaded, first.id)).to.deep.equal([{ emoji: '👍', count: 1, users: ['bob'], mine: false }]);
      expect(getReceipts(reloaded, 'bob')).to.deep.equal({ delivered: third.id, read: third.id });
    } finally {
      await again.clearData();
    }
  });
});
