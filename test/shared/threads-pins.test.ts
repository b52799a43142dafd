// Threads and pins in the shared model: rules with their codes, queries, and convergence with offline writers.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  deleteMessage, editMessage, getPins, getThreadReplies, getThreads, inMainFlow, LIMITS, markThreadRead, pinMessage,
  readMessageLog, sendMessage, setMeta, threadSummary, threadUnread, unpinMessage, type Writer,
} from '../../shared/conversation.js';
import { seeded } from '../support/seeded.js';
import { admin, alice, bob, expectRefused, linkedDocs, reader } from './helpers.js';

describe('threads', () => {
  it('hangs replies under a root, one level deep, out of the main flow unless also sent there', () => {
    const doc = new Y.Doc();
    const root = sendMessage(doc, alice, { text: 'release plan?' });
    const r1 = sendMessage(doc, bob, { text: 'friday', threadRoot: root.id });
    const r2 = sendMessage(doc, alice, { text: 'ok friday', threadRoot: root.id, alsoInMain: true });
    sendMessage(doc, bob, { text: 'unrelated' });
    expect(getThreadReplies(doc, root.id).map((r) => r.id)).toEqual([r1.id, r2.id]);
    expect(inMainFlow(root)).toBe(true);
    expect(inMainFlow(r1)).toBe(false);
    expect(inMainFlow(r2)).toBe(true);
    const summary = threadSummary(doc, root.id)!;
    expect(summary).toMatchObject({ root: root.id, replies: 2, lastReplyId: r2.id, participants: ['alice', 'bob'] });
    expect(getThreads(doc).map((t) => t.root)).toEqual([root.id]);
  });

  it('refuses a root that does not exist (or is in another conversation) and a reply to a thread reply', () => {
    const doc = new Y.Doc();
    const elsewhere = new Y.Doc();
    const foreign = sendMessage(elsewhere, alice, { text: 'in another room' });
    const root = sendMessage(doc, alice, { text: 'root' });
    const reply = sendMessage(doc, bob, { text: 'in thread', threadRoot: root.id });
    expectRefused(doc, 'thread-root-unknown', () => sendMessage(doc, bob, { text: 'x', threadRoot: 'AAAAAAAAAAAAAAAAAAAAA' }));
    expectRefused(doc, 'thread-root-unknown', () => sendMessage(doc, bob, { text: 'x', threadRoot: foreign.id }));
    expectRefused(doc, 'thread-nested', () => sendMessage(doc, alice, { text: 'x', threadRoot: reply.id }));
    expectRefused(doc, 'bad-message-id', () => sendMessage(doc, alice, { text: 'x', threadRoot: 'no spaces allowed' }));
    expectRefused(doc, 'bad-record', () => sendMessage(doc, alice, { text: 'x', alsoInMain: true }));
  });

  it('keeps the thread of an edited or deleted reply, and counts only live replies', () => {
    const doc = new Y.Doc();
    const root = sendMessage(doc, alice, { text: 'root' });
    const r1 = sendMessage(doc, bob, { text: 'one', threadRoot: root.id });
    const r2 = sendMessage(doc, bob, { text: 'two', threadRoot: root.id });
    editMessage(doc, bob, r1.id, 'one, edited');
    deleteMessage(doc, bob, r2.id);
    const replies = getThreadReplies(doc, root.id);
    expect(replies.map((r) => [r.id, r.text, r.deleted === true])).toEqual([[r1.id, 'one, edited', false], [r2.id, '', true]]);
    expect(threadSummary(doc, root.id)!.replies).toBe(1);
    // A deleted root keeps its thread (and its replies still resolve).
    deleteMessage(doc, alice, root.id);
    expect(threadSummary(doc, root.id)!.replies).toBe(1);
    expectRefused(doc, 'thread-nested', () => sendMessage(doc, alice, { text: 'x', threadRoot: r2.id }));
  });

  it('counts unread replies per thread for the people who follow it, up to their read mark', () => {
    const doc = new Y.Doc();
    const carol: Writer = { userId: 'carol', role: 'write' };
    const root = sendMessage(doc, alice, { text: 'root' });
    const r1 = sendMessage(doc, bob, { text: 'one', threadRoot: root.id });
    sendMessage(doc, bob, { text: 'two', threadRoot: root.id });
    expect(threadUnread(doc, root.id, 'alice')).toBe(2); // she started it
    expect(threadUnread(doc, root.id, 'carol')).toBe(0); // not following
    expect(markThreadRead(doc, alice, root.id, r1.id)).toBe(true);
    expect(threadUnread(doc, root.id, 'alice')).toBe(1);
    expect(markThreadRead(doc, alice, root.id, r1.id)).toBe(false); // never backwards or twice
    expect(markThreadRead(doc, alice, root.id)).toBe(true);
    expect(threadUnread(doc, root.id, 'alice')).toBe(0);
    sendMessage(doc, carol, { text: 'me too', threadRoot: root.id });
    expect(threadUnread(doc, root.id, 'carol')).toBe(0); // answering means having read
    sendMessage(doc, bob, { text: 'three', threadRoot: root.id });
    expect(threadUnread(doc, root.id, 'carol')).toBe(1);
    expect(threadUnread(doc, root.id, 'alice')).toBe(2);
    expect(getThreads(doc, 'alice')[0]!.unread).toBe(2);
    expectRefused(doc, 'unknown-message', () => markThreadRead(doc, alice, root.id, root.id));
    expectRefused(doc, 'read-only', () => markThreadRead(doc, reader, root.id));
  });

  it('bounds the thread read marks a user keeps', () => {
    const doc = new Y.Doc();
    for (let i = 0; i < LIMITS.threadReads + 5; i++) {
      const root = sendMessage(doc, bob, { text: `root ${i}` });
      sendMessage(doc, bob, { text: 'reply', threadRoot: root.id });
      markThreadRead(doc, alice, root.id);
    }
    const entry = doc.getArray<Record<string, string>>('threads:alice').toArray();
    expect(entry).toHaveLength(1);
    expect(Object.keys(entry[0]!)).toHaveLength(LIMITS.threadReads);
  });

  it('converges when replicas reply in threads offline, roots and replies arriving in any order', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seeded(seed);
      const writers = [alice, bob, admin];
      const docs = writers.map(() => new Y.Doc());
      const sync = (from: Y.Doc, to: Y.Doc) => Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
      const root = sendMessage(docs[0]!, alice, { text: 'shared root' });
      docs.slice(1).forEach((d) => sync(docs[0]!, d));
      for (let step = 0; step < 40; step++) {
        const i = random.int(docs.length);
        const doc = docs[i]!;
        const writer = writers[i]!;
        const log = readMessageLog(doc);
        const roots = log.list.map((r) => r.current.record).filter((m) => m.threadRoot === undefined && !m.deleted);
        const action = random.int(6);
        if (action === 0) sendMessage(doc, writer, { text: `top ${step}` });
        else if (action <= 3) {
          const target = random.pick(roots.length > 0 ? roots : [root]);
          sendMessage(doc, writer, { text: `reply ${step}`, threadRoot: target.id });
        } else if (action === 4) {
          const own = log.list.map((r) => r.current.record).filter((m) => m.author === writer.userId && !m.deleted && m.threadRoot !== undefined);
          if (own.length > 0) deleteMessage(doc, writer, random.pick(own).id);
        } else {
          // Partial sync between two random replicas, in a random direction (the others stay offline).
          sync(doc, docs[random.int(docs.length)]!);
        }
      }
      for (const a of docs) for (const b of docs) sync(a, b);
      const views = docs.map((d) => JSON.stringify(getThreads(d).map((t) => [t.root, t.replies, t.lastReplyId, getThreadReplies(d, t.root).map((r) => r.id)])));
      expect(new Set(views).size, `seed ${seed}`).toBe(1);
      // Every reply hangs under a top-level root of the same conversation.
      const log = readMessageLog(docs[0]!);
      for (const { current } of log.list) {
        if (current.record.threadRoot !== undefined) expect(log.get(current.record.threadRoot)!.threadRoot).toBeUndefined();
      }
    }
  });
});

describe('pins', () => {
  const group = () => {
    const doc = new Y.Doc();
    setMeta(doc, admin, { kind: 'group' });
    return doc;
  };

  it('lets admins pin and unpin, newest first; members of a group are refused', () => {
    const doc = group();
    const a = sendMessage(doc, alice, { text: 'agenda' });
    const b = sendMessage(doc, bob, { text: 'wifi password is in the wiki' });
    pinMessage(doc, admin, a.id, 1000);
    pinMessage(doc, admin, b.id, 2000);
    expect(getPins(doc).map((p) => [p.message.id, p.by])).toEqual([[b.id, 'root'], [a.id, 'root']]);
    const mine = sendMessage(doc, alice, { text: 'mine' });
    expectRefused(doc, 'pin-not-allowed', () => pinMessage(doc, alice, mine.id));
    expectRefused(doc, 'pin-not-allowed', () => unpinMessage(doc, bob, a.id));
    expectRefused(doc, 'read-only', () => pinMessage(doc, reader, a.id));
    unpinMessage(doc, admin, a.id);
    expect(getPins(doc).map((p) => p.message.id)).toEqual([b.id]);
  });

  it('lets both people of a direct conversation pin', () => {
    const doc = new Y.Doc();
    setMeta(doc, admin, { kind: 'direct' });
    const a = sendMessage(doc, alice, { text: 'address' });
    pinMessage(doc, bob, a.id);
    unpinMessage(doc, alice, a.id);
    pinMessage(doc, alice, a.id);
    expect(getPins(doc).map((p) => p.by)).toEqual(['alice']);
  });

  it('survives edits; a deleted message leaves the pins, whoever deletes it', () => {
    const doc = group();
    const a = sendMessage(doc, alice, { text: 'v1' });
    pinMessage(doc, admin, a.id);
    editMessage(doc, alice, a.id, 'v2');
    expect(getPins(doc).map((p) => p.message.text)).toEqual(['v2']);
    deleteMessage(doc, alice, a.id); // a member deleting her own pinned message
    expect(getPins(doc)).toEqual([]);
    expect(doc.getMap('pins').size).toBe(0);
    expectRefused(doc, 'message-deleted', () => pinMessage(doc, admin, a.id));
    expectRefused(doc, 'unknown-message', () => pinMessage(doc, admin, 'AAAAAAAAAAAAAAAAAAAAA'));
  });

  it(`holds at most ${LIMITS.pins} pins`, () => {
    const doc = group();
    doc.transact(() => {
      for (let i = 0; i < LIMITS.pins; i++) pinMessage(doc, admin, sendMessage(doc, alice, { text: `m${i}` }).id);
    });
    const extra = sendMessage(doc, alice, { text: 'one too many' });
    expectRefused(doc, 'too-many-pins', () => pinMessage(doc, admin, extra.id));
    expect(getPins(doc)).toHaveLength(LIMITS.pins);
  });

  it('converges when a pin races the deletion of its message', () => {
    const [a, b] = linkedDocs();
    setMeta(a, admin, { kind: 'group' });
    const m = sendMessage(a, alice, { text: 'racing' });
    const offlineA = new Y.Doc();
    const offlineB = new Y.Doc();
    Y.applyUpdate(offlineA, Y.encodeStateAsUpdate(a));
    Y.applyUpdate(offlineB, Y.encodeStateAsUpdate(b));
    pinMessage(offlineA, admin, m.id);
    deleteMessage(offlineB, alice, m.id);
    Y.applyUpdate(offlineA, Y.encodeStateAsUpdate(offlineB));
    Y.applyUpdate(offlineB, Y.encodeStateAsUpdate(offlineA));
    expect(getPins(offlineA)).toEqual([]);
    expect(getPins(offlineB)).toEqual([]);
  });
});
