// The guard's two halves on plain Y.Docs, without sockets: decoding an update's structure, and judging it with the shared rules.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { RuleError } from '../../shared/errors.js';
import { deleteMessage, markRead, sendMessage, type MessageRecord, type Writer } from '../../shared/conversation.js';
import { bindClients, createClientIdentity } from '../../relay/client-identity.js';
import { createMessageIndex } from '../../relay/message-index.js';
import { createReceiptMarks } from '../../relay/receipt-marks.js';
import { MissingDependencyError, decodeStructure } from '../../relay/update-structure.js';
import { judgeUpdate } from '../../relay/update-judge.js';

const alice: Writer = { userId: 'alice', role: 'write' };
const bob: Writer = { userId: 'bob', role: 'write' };
const reader: Writer = { userId: 'rita', role: 'read' };

/** A room document and a way to judge updates against it, as the relay's guard does (minus the sockets). */
function room() {
  const doc = new Y.Doc();
  const index = createMessageIndex(doc);
  const identity = createClientIdentity(doc);
  const receipts = createReceiptMarks(doc, index);
  const judge = (update: Uint8Array, writer: Writer) =>
    judgeUpdate(decodeStructure(doc, Y.decodeUpdate(update)), writer, { doc, index, receipts, ownerOf: identity.ownerOf });
  /** Judges, then (if accepted) binds and applies like the accept path. */
  const accept = (update: Uint8Array, writer: Writer) => {
    const { newClients } = judge(update, writer);
    bindClients(doc, newClients, writer.userId);
    Y.applyUpdate(doc, update);
  };
  return { doc, judge, accept };
}

/** A client replica of `doc` with its own client id; `write` returns the update its writes produced. */
function replica(doc: Y.Doc) {
  const local = new Y.Doc();
  Y.applyUpdate(local, Y.encodeStateAsUpdate(doc));
  return {
    doc: local,
    write(change: (d: Y.Doc) => void): Uint8Array {
      Y.applyUpdate(local, Y.encodeStateAsUpdate(doc));
      const before = Y.encodeStateVector(local);
      change(local);
      return Y.encodeStateAsUpdate(local, before);
    },
  };
}

const ruleOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof RuleError) return error.code;
    if (error instanceof MissingDependencyError) return 'missing-dependency';
    throw error;
  }
  return 'accepted';
};

describe('decodeStructure', () => {
  it('resolves the place of every new struct, through origins inside the update, and lists deleted stored items', () => {
    const { doc, accept } = room();
    const a = replica(doc);
    accept(a.write((d) => sendMessage(d, alice, { text: 'one' })), alice);
    const update = a.write((d) => {
      const messages = d.getArray<MessageRecord>('messages');
      sendMessage(d, alice, { text: 'two' });
      sendMessage(d, alice, { text: 'three' });
      deleteMessage(d, alice, messages.get(0).id);
    });
    const structure = decodeStructure(doc, Y.decodeUpdate(update));
    expect(structure.inserts.every((insert) => insert.root === 'messages' && insert.sub === null)).toBe(true);
    expect(structure.deletions.map(({ root, from, to }) => ({ root, from, to }))).toEqual([{ root: 'messages', from: 0, to: 1 }]);
    expect([...structure.writers]).toEqual([a.doc.clientID]);
  });

  it('reports a missing dependency for structs that build on what the room lacks', () => {
    const { doc } = room();
    const a = replica(doc);
    a.write((d) => sendMessage(d, alice, { text: 'not sent' }));
    const later = a.write((d) => sendMessage(d, alice, { text: 'builds on it' }));
    expect(ruleOf(() => decodeStructure(doc, Y.decodeUpdate(later)))).toBe('missing-dependency');
  });

  it('refuses nested types', () => {
    const { doc } = room();
    const update = replica(doc).write((d) => {
      const nested = new Y.Map<number>();
      d.getArray('messages').push([nested]);
      nested.set('inside', 1);
    });
    expect(ruleOf(() => decodeStructure(doc, Y.decodeUpdate(update)))).toBe('unknown-type');
  });
});

describe('judgeUpdate', () => {
  it('accepts an author\u2019s message, returns its new client id and writes nothing', () => {
    const { doc, judge } = room();
    const a = replica(doc);
    const update = a.write((d) => sendMessage(d, alice, { text: 'hello' }));
    const before = Y.encodeStateAsUpdate(doc);
    expect([...judge(update, alice).newClients]).toEqual([a.doc.clientID]);
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
  });

  it('refuses readers, forged authors, foreign client ids, and deletes of others\u2019 messages', () => {
    const { doc, judge, accept } = room();
    const a = replica(doc);
    expect(ruleOf(() => judge(replica(doc).write((d) => sendMessage(d, alice, { text: 'x' })), reader))).toBe('read-only');
    const forged = replica(doc).write((d) => d.getArray('messages').push([{ id: 'forged-message-1', author: 'alice', text: 'hi', createdAt: 1 }]));
    expect(ruleOf(() => judge(forged, bob))).toBe('author-mismatch');

    accept(a.write((d) => sendMessage(d, alice, { text: 'mine' })), alice);
    const reuse = a.write((d) => sendMessage(d, bob, { text: 'with alice\u2019s client id' }));
    expect(ruleOf(() => judge(reuse, bob))).toBe('foreign-client');

    const b = replica(doc);
    const id = doc.getArray<MessageRecord>('messages').get(0).id;
    expect(ruleOf(() => judge(b.write((d) => deleteMessage(d, { ...bob, role: 'admin' }, id)), bob))).toBe('not-author-or-admin');
    expect(ruleOf(() => judge(replica(doc).write((d) => d.getArray('messages').delete(0, 1)), alice))).toBe('forbidden-delete');
  });

  it('refuses receipts that move backwards', () => {
    const { doc, accept, judge } = room();
    const a = replica(doc);
    accept(a.write((d) => sendMessage(d, alice, { text: 'one' })), alice);
    accept(a.write((d) => sendMessage(d, alice, { text: 'two' })), alice);
    const [first, second] = doc.getArray<MessageRecord>('messages').toArray();
    const b = replica(doc);
    accept(b.write((d) => markRead(d, bob, second!.id)), bob);
    const backwards = b.write((d) => {
      const receipts = d.getArray('receipts:bob');
      receipts.delete(0, receipts.length);
      receipts.push([{ read: first!.id }]);
    });
    expect(ruleOf(() => judge(backwards, bob))).toBe('receipt-backwards');
  });
});
