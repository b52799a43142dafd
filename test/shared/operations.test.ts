// Unit tests for every conversation operation and query.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  deleteMessage, editMessage, getMessage, getMessages, getMeta, getProfiles, getReceipts, locateRecords,
  markDelivered, markRead, messageStatus, reactionsSummary, react, replyContext, sendMessage, setMeta,
  setProfile, unreact, unreadCount, isMessageId, newMessageId, type MessageRecord,
} from '../../shared/conversation.js';
import { admin, alice, bob, carol, expectRefused, linkedDocs } from './helpers.js';

describe('send and reply', () => {
  it('appends messages in order with generated ids', () => {
    const doc = new Y.Doc();
    const first = sendMessage(doc, alice, { text: 'hello' });
    const second = sendMessage(doc, bob, { text: 'hi there', replyTo: first.id });
    expect(isMessageId(first.id)).toBe(true);
    expect(first.id).not.toBe(second.id);
    const messages = getMessages(doc);
    expect(messages.map((m) => m.text)).toEqual(['hello', 'hi there']);
    expect(messages[1]).toMatchObject({ author: 'bob', replyTo: first.id, deleted: false });
  });

  it('re-sending an identical record with the same id is a no-op (outbox flushed twice)', () => {
    const doc = new Y.Doc();
    const id = newMessageId();
    const first = sendMessage(doc, alice, { id, text: 'once', createdAt: 1000 });
    expect(sendMessage(doc, alice, { id, text: 'once', createdAt: 1000 })).toEqual(first);
    expect(getMessages(doc)).toHaveLength(1);
  });

  it('a different message under an existing id is refused', () => {
    const doc = new Y.Doc();
    const { id } = sendMessage(doc, alice, { text: 'once', createdAt: 1000 });
    expectRefused(doc, 'duplicate-message', () => sendMessage(doc, alice, { id, text: 'other', createdAt: 1000 }));
    expectRefused(doc, 'immutable-field', () => sendMessage(doc, bob, { id, text: 'once', createdAt: 1000 }));
  });

  it('reply context quotes the original, and a deleted one as deleted', () => {
    const doc = new Y.Doc();
    setProfile(doc, alice, { name: 'Alice' });
    const original = sendMessage(doc, alice, { text: 'a  long\nthought '.repeat(20) });
    const reply = sendMessage(doc, bob, { text: 'agreed', replyTo: original.id });
    const context = replyContext(doc, reply.replyTo!);
    expect(context).toMatchObject({ author: 'alice', authorName: 'Alice', deleted: false });
    expect(context!.excerpt.length).toBe(120);
    expect(context!.excerpt).not.toMatch(/\n|  /);
    deleteMessage(doc, alice, original.id);
    expect(replyContext(doc, original.id)).toMatchObject({ deleted: true, excerpt: '' });
    expect(replyContext(doc, 'missing-id-123')).toBeUndefined();
  });
});

describe('edit and delete', () => {
  it('edit replaces the text in place and removes the old text from the document', () => {
    const doc = new Y.Doc();
    const a = sendMessage(doc, alice, { text: 'secret typo' });
    sendMessage(doc, bob, { text: 'after' });
    editMessage(doc, alice, a.id, 'fixed');
    const messages = getMessages(doc);
    expect(messages.map((m) => m.text)).toEqual(['fixed', 'after']);
    expect(messages[0]!.editedAt).toBeGreaterThan(a.createdAt);
    expect(messages[0]).toMatchObject({ id: a.id, author: 'alice', createdAt: a.createdAt });
    expect(Buffer.from(Y.encodeStateAsUpdate(doc)).toString('latin1')).not.toContain('secret typo');
  });

  it('delete leaves a tombstone with no text that replies still point at', () => {
    const doc = new Y.Doc();
    const a = sendMessage(doc, alice, { text: 'regrettable' });
    const reply = sendMessage(doc, bob, { text: 'what?', replyTo: a.id });
    deleteMessage(doc, alice, a.id);
    deleteMessage(doc, alice, a.id); // twice: no-op
    const [gone, kept] = getMessages(doc);
    expect(gone).toMatchObject({ id: a.id, text: '', deleted: true, deletedBy: 'alice', author: 'alice' });
    expect(kept).toMatchObject({ id: reply.id, replyTo: a.id });
    expect(Buffer.from(Y.encodeStateAsUpdate(doc)).toString('latin1')).not.toContain('regrettable');
  });

  it('an admin may delete (moderate) but not edit others\u2019 messages', () => {
    const doc = new Y.Doc();
    const a = sendMessage(doc, alice, { text: 'spam' });
    expectRefused(doc, 'not-author', () => editMessage(doc, admin, a.id, 'changed'));
    deleteMessage(doc, admin, a.id);
    expect(getMessage(doc, a.id)).toMatchObject({ deleted: true, deletedBy: 'root' });
  });

  it('concurrent edits converge on the latest; a concurrent delete wins over an edit', () => {
    const [a, b] = linkedDocs();
    const m = sendMessage(a, alice, { text: 'v1' });
    const offlineA = new Y.Doc();
    const offlineB = new Y.Doc();
    Y.applyUpdate(offlineA, Y.encodeStateAsUpdate(a));
    Y.applyUpdate(offlineB, Y.encodeStateAsUpdate(b));
    editMessage(offlineA, alice, m.id, 'from phone');
    deleteMessage(offlineB, admin, m.id);
    Y.applyUpdate(offlineA, Y.encodeStateAsUpdate(offlineB));
    Y.applyUpdate(offlineB, Y.encodeStateAsUpdate(offlineA));
    expect(getMessages(offlineA)).toEqual(getMessages(offlineB));
    expect(getMessages(offlineA)).toHaveLength(1);
    expect(getMessage(offlineA, m.id)!.deleted).toBe(true);
  });
});

describe('reactions', () => {
  it('react and unreact, summarised per emoji', () => {
    const doc = new Y.Doc();
    const m = sendMessage(doc, alice, { text: 'ship it' });
    react(doc, bob, m.id, '👍');
    react(doc, bob, m.id, '👍');
    react(doc, carol, m.id, '👍');
    react(doc, carol, m.id, '🎉');
    expect(reactionsSummary(doc, m.id, 'bob')).toEqual([
      { emoji: '👍', count: 2, users: ['bob', 'carol'], mine: true },
      { emoji: '🎉', count: 1, users: ['carol'], mine: false },
    ]);
    unreact(doc, bob, m.id, '👍');
    unreact(doc, bob, m.id, '👍');
    expect(reactionsSummary(doc, m.id, 'bob')).toEqual([
      { emoji: '🎉', count: 1, users: ['carol'], mine: false },
      { emoji: '👍', count: 1, users: ['carol'], mine: false },
    ]);
  });
});

describe('receipts and status', () => {
  it('marks move forward only and never for one\u2019s own messages', () => {
    const doc = new Y.Doc();
    const m1 = sendMessage(doc, alice, { text: 'one' });
    const m2 = sendMessage(doc, alice, { text: 'two' });
    const mine = sendMessage(doc, bob, { text: 'mine' });
    expect(markDelivered(doc, bob, m2.id)).toBe(true);
    expect(markDelivered(doc, bob, m1.id)).toBe(false);
    expect(markRead(doc, bob, m1.id)).toBe(true);
    expect(getReceipts(doc, 'bob')).toEqual({ delivered: m2.id, read: m1.id });
    expect(markRead(doc, bob, m2.id)).toBe(true);
    expect(markRead(doc, bob, m1.id)).toBe(false);
    expect(getReceipts(doc, 'bob')).toEqual({ delivered: m2.id, read: m2.id });
    expectRefused(doc, 'receipt-own-message', () => markRead(doc, bob, mine.id));
    expectRefused(doc, 'unknown-message', () => markRead(doc, bob, 'no-such-message'));
  });

  it('status goes sending → sent → delivered → read, with group counts', () => {
    const doc = new Y.Doc();
    for (const w of [alice, bob, carol]) setProfile(doc, w, { name: w.userId });
    const m = sendMessage(doc, alice, { text: 'hello group' });
    const [located] = [...locateRecords(doc.getArray<MessageRecord>('messages'))];
    expect(messageStatus(doc, m.id, new Map())!.state).toBe('sending');
    const acked = new Map([[located!.client, located!.clock + 1]]);
    expect(messageStatus(doc, m.id, acked)).toEqual({ state: 'sent', deliveredTo: 0, readBy: 0, recipients: 2 });
    markDelivered(doc, bob, m.id);
    expect(messageStatus(doc, m.id, acked)).toEqual({ state: 'sent', deliveredTo: 1, readBy: 0, recipients: 2 });
    markDelivered(doc, carol, m.id);
    expect(messageStatus(doc, m.id, acked)!.state).toBe('delivered');
    markRead(doc, bob, m.id);
    expect(messageStatus(doc, m.id, acked)).toEqual({ state: 'delivered', deliveredTo: 2, readBy: 1, recipients: 2 });
    markRead(doc, carol, m.id);
    expect(messageStatus(doc, m.id, acked)).toEqual({ state: 'read', deliveredTo: 2, readBy: 2, recipients: 2 });
    expect(messageStatus(doc, 'no-such-message')).toBeUndefined();
  });

  it('unread count: messages by others after the read mark, not deleted', () => {
    const doc = new Y.Doc();
    const a1 = sendMessage(doc, alice, { text: '1' });
    sendMessage(doc, bob, { text: 'own' });
    const a2 = sendMessage(doc, alice, { text: '2' });
    const a3 = sendMessage(doc, alice, { text: '3' });
    expect(unreadCount(doc, 'bob')).toBe(3);
    markRead(doc, bob, a1.id);
    expect(unreadCount(doc, 'bob')).toBe(2);
    deleteMessage(doc, alice, a3.id);
    expect(unreadCount(doc, 'bob')).toBe(1);
    markRead(doc, bob, a2.id);
    expect(unreadCount(doc, 'bob')).toBe(0);
  });

  it('concurrent receipts from two devices of one user merge to the furthest mark', () => {
    const doc = new Y.Doc();
    const m1 = sendMessage(doc, alice, { text: '1' });
    const m2 = sendMessage(doc, alice, { text: '2' });
    const phone = new Y.Doc();
    const laptop = new Y.Doc();
    Y.applyUpdate(phone, Y.encodeStateAsUpdate(doc));
    Y.applyUpdate(laptop, Y.encodeStateAsUpdate(doc));
    markRead(phone, bob, m2.id);
    markRead(laptop, bob, m1.id);
    Y.applyUpdate(phone, Y.encodeStateAsUpdate(laptop));
    Y.applyUpdate(laptop, Y.encodeStateAsUpdate(phone));
    expect(getReceipts(phone, 'bob')).toEqual({ delivered: m2.id, read: m2.id });
    expect(getReceipts(laptop, 'bob')).toEqual({ delivered: m2.id, read: m2.id });
  });
});

describe('profiles and meta', () => {
  it('setProfile merges with the current profile', () => {
    const doc = new Y.Doc();
    expectRefused(doc, 'bad-profile', () => setProfile(doc, alice, { lastSeen: 5 }));
    setProfile(doc, alice, { name: 'Alice', avatar: 'https://example.com/a.png' });
    setProfile(doc, alice, { lastSeen: 1_700_000_000_000 });
    expect(getProfiles(doc).get('alice')).toEqual({ name: 'Alice', avatar: 'https://example.com/a.png', lastSeen: 1_700_000_000_000 });
  });

  it('setMeta by an admin; defaults otherwise', () => {
    const doc = new Y.Doc();
    expect(getMeta(doc)).toEqual({ title: '', kind: 'group' });
    setMeta(doc, admin, { title: 'Launch', kind: 'channel' });
    expect(getMeta(doc)).toEqual({ title: 'Launch', kind: 'channel' });
  });
});
