// The relay's guard on threads and pins: updates written by hand (bypassing the client's checks) are judged with the shared rules.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { RuleError } from '../../shared/errors.js';
import {
  deleteMessage, LIMITS, markThreadRead, pinMessage, sendMessage, setMeta, unpinMessage, type Writer,
} from '../../shared/conversation.js';
import { bindClients, createClientIdentity } from '../../relay/client-identity.js';
import { createMessageIndex } from '../../relay/message-index.js';
import { createReceiptMarks } from '../../relay/receipt-marks.js';
import { decodeStructure } from '../../relay/update-structure.js';
import { judgeUpdate } from '../../relay/update-judge.js';

const alice: Writer = { userId: 'alice', role: 'write' };
const bob: Writer = { userId: 'bob', role: 'write' };
const mod: Writer = { userId: 'mod', role: 'admin' };
const ID = (n: number): string => `message-id-${String(n).padStart(10, '0')}`;

function room(kind: 'group' | 'direct' = 'group') {
  const doc = new Y.Doc();
  const index = createMessageIndex(doc);
  const identity = createClientIdentity(doc);
  const receipts = createReceiptMarks(doc, index);
  const judge = (update: Uint8Array, writer: Writer) =>
    judgeUpdate(decodeStructure(doc, Y.decodeUpdate(update)), writer, { doc, index, receipts, ownerOf: identity.ownerOf });
  const accept = (update: Uint8Array, writer: Writer) => {
    const { newClients } = judge(update, writer);
    bindClients(doc, newClients, writer.userId);
    Y.applyUpdate(doc, update);
  };
  const replica = () => {
    const local = new Y.Doc();
    return {
      doc: local,
      write(change: (d: Y.Doc) => void): Uint8Array {
        Y.applyUpdate(local, Y.encodeStateAsUpdate(doc));
        const before = Y.encodeStateVector(local);
        change(local);
        return Y.encodeStateAsUpdate(local, before);
      },
    };
  };
  accept(replica().write((d) => setMeta(d, mod, { kind })), mod);
  return { doc, judge, accept, replica };
}

const ruleOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof RuleError) return error.code;
    throw error;
  }
  return 'accepted';
};

const record = (id: string, author: string, extra: object = {}) => ({ id, author, text: 'hand-written', createdAt: 1_700_000_000_000, ...extra });

describe('guard: threads', () => {
  it('accepts a thread reply, also one whose root comes in the same (offline) update', () => {
    const { accept, replica } = room();
    let rootId = '';
    accept(replica().write((d) => (rootId = sendMessage(d, alice, { text: 'root' }).id)), alice);
    accept(replica().write((d) => sendMessage(d, bob, { text: 'reply', threadRoot: rootId })), bob);
    accept(replica().write((d) => {
      const offlineRoot = sendMessage(d, bob, { text: 'offline root' });
      sendMessage(d, bob, { text: 'offline reply', threadRoot: offlineRoot.id });
    }), bob);
  });

  it('refuses a reply whose root does not exist or is in another conversation, and a reply to a thread reply', () => {
    const { judge, accept, replica } = room();
    const other = new Y.Doc();
    const foreign = sendMessage(other, alice, { text: 'elsewhere' });
    let rootId = '';
    let replyId = '';
    accept(replica().write((d) => (rootId = sendMessage(d, alice, { text: 'root' }).id)), alice);
    accept(replica().write((d) => (replyId = sendMessage(d, bob, { text: 'reply', threadRoot: rootId }).id)), bob);
    const push = (value: object) => replica().write((d) => d.getArray('messages').push([value]));
    expect(ruleOf(() => judge(push(record(ID(1), 'bob', { threadRoot: ID(99) })), bob))).toBe('thread-root-unknown');
    expect(ruleOf(() => judge(push(record(ID(2), 'bob', { threadRoot: foreign.id })), bob))).toBe('thread-root-unknown');
    expect(ruleOf(() => judge(push(record(ID(3), 'bob', { threadRoot: replyId })), bob))).toBe('thread-nested');
    expect(ruleOf(() => judge(push(record(ID(4), 'bob', { threadRoot: ID(4) })), bob))).toBe('thread-nested');
    expect(ruleOf(() => judge(push(record(ID(5), 'bob', { threadRoot: 'not an id' })), bob))).toBe('bad-message-id');
    expect(ruleOf(() => judge(push(record(ID(6), 'bob', { alsoInMain: true })), bob))).toBe('bad-record');
    expect(ruleOf(() => judge(push(record(ID(7), 'bob', { threadRoot: rootId, alsoInMain: 'yes' })), bob))).toBe('bad-record');
  });

  it('never lets an edit move a message into or out of a thread', () => {
    const { judge, accept, replica } = room();
    let rootId = '';
    let replyId = '';
    accept(replica().write((d) => (rootId = sendMessage(d, alice, { text: 'root' }).id)), alice);
    accept(replica().write((d) => (replyId = sendMessage(d, bob, { text: 'reply', threadRoot: rootId }).id)), bob);
    const moved = replica().write((d) => {
      const messages = d.getArray<Record<string, unknown>>('messages');
      const index = messages.toArray().findIndex((m) => m['id'] === replyId);
      const current = messages.get(index);
      d.transact(() => {
        messages.insert(index, [{ ...current, threadRoot: undefined, text: 'escaped', editedAt: 1_800_000_000_000 }]);
        messages.delete(index + 1, 1);
      });
    });
    expect(ruleOf(() => judge(moved, bob))).toBe('immutable-field');
  });

  it('checks thread read marks: own, well-formed, bounded', () => {
    const { judge, accept, replica } = room();
    let rootId = '';
    accept(replica().write((d) => {
      rootId = sendMessage(d, alice, { text: 'root' }).id;
      sendMessage(d, alice, { text: 'reply', threadRoot: rootId });
    }), alice);
    accept(replica().write((d) => markThreadRead(d, bob, rootId)), bob);
    expect(ruleOf(() => judge(replica().write((d) => markThreadRead(d, alice, rootId)), bob))).toBe('not-own-entry');
    const huge = Object.fromEntries(Array.from({ length: LIMITS.threadReads + 1 }, (_, i) => [ID(i), ID(i)]));
    expect(ruleOf(() => judge(replica().write((d) => d.getArray('threads:bob').push([huge])), bob))).toBe('bad-thread-reads');
    expect(ruleOf(() => judge(replica().write((d) => d.getArray('threads:bob').push([{ [rootId]: 'x y' }])), bob))).toBe('bad-thread-reads');
  });
});

describe('guard: pins', () => {
  it('lets admins pin and unpin; a member pinning or unpinning in a group is refused', () => {
    const { judge, accept, replica } = room('group');
    let id = '';
    accept(replica().write((d) => (id = sendMessage(d, alice, { text: 'pin me' }).id)), alice);
    expect(ruleOf(() => judge(replica().write((d) => d.getMap('pins').set(id, { by: 'alice', at: 1 })), alice))).toBe('pin-not-allowed');
    accept(replica().write((d) => pinMessage(d, mod, id)), mod);
    expect(ruleOf(() => judge(replica().write((d) => d.getMap('pins').delete(id)), alice))).toBe('pin-not-allowed');
    expect(ruleOf(() => judge(replica().write((d) => d.getMap('pins').set(id, { by: 'someone-else', at: 1 })), mod))).toBe('bad-pin');
    expect(ruleOf(() => judge(replica().write((d) => d.getMap('pins').set(ID(42), { by: 'mod', at: 1 })), mod))).toBe('unknown-message');
    accept(replica().write((d) => unpinMessage(d, mod, id)), mod);
  });

  it('lets both people of a direct conversation pin', () => {
    const { accept, replica } = room('direct');
    let id = '';
    accept(replica().write((d) => (id = sendMessage(d, alice, { text: 'pin me' }).id)), alice);
    accept(replica().write((d) => pinMessage(d, { ...bob, role: 'write' }, id)), bob);
    accept(replica().write((d) => unpinMessage(d, alice, id)), alice);
  });

  it('bounds pins: thousands in one update are refused', () => {
    const { judge, accept, replica } = room('group');
    const ids: string[] = [];
    accept(replica().write((d) => d.transact(() => {
      for (let i = 0; i < 2_000; i++) ids.push(sendMessage(d, alice, { text: `m${i}` }).id);
    })), alice);
    const flood = replica().write((d) => d.transact(() => {
      for (const id of ids) d.getMap('pins').set(id, { by: 'mod', at: 1 });
    }));
    expect(ruleOf(() => judge(flood, mod))).toBe('too-many-pins');
    accept(replica().write((d) => d.transact(() => {
      for (const id of ids.slice(0, LIMITS.pins)) pinMessage(d, mod, id);
    })), mod);
    expect(ruleOf(() => judge(replica().write((d) => d.getMap('pins').set(ids[LIMITS.pins]!, { by: 'mod', at: 1 })), mod))).toBe('too-many-pins');
    // Replacing pins (unpin one, pin another) stays within the bound.
    accept(replica().write((d) => d.transact(() => {
      unpinMessage(d, mod, ids[0]!);
      pinMessage(d, mod, ids[LIMITS.pins]!);
    })), mod);
  });

  it('lets a member delete her own pinned message, which takes it out of the pins', () => {
    const { doc, accept, replica } = room('group');
    let id = '';
    accept(replica().write((d) => (id = sendMessage(d, alice, { text: 'oops' }).id)), alice);
    accept(replica().write((d) => pinMessage(d, mod, id)), mod);
    accept(replica().write((d) => deleteMessage(d, alice, id)), alice);
    expect(doc.getMap('pins').has(id)).toBe(false);
  });
});
