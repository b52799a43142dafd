// Every rule: each bad input gets its own error code and a clear message, and the document stays unchanged.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  checkMessageRecord, checkNewMessage, checkReceipt, checkReactionKey, checkRevision, checkTopLevel,
  deleteMessage, editMessage, markDelivered, markRead, react, readMessageLog, sendMessage, setMeta,
  setProfile, unreact, RULE_MESSAGES, RuleError, LIMITS,
} from '../../shared/conversation.js';
import { admin, alice, bob, expectRefused, reader } from './helpers.js';

const seeded = () => {
  const doc = new Y.Doc();
  const m = sendMessage(doc, alice, { text: 'original' });
  return { doc, m };
};

describe('write access', () => {
  it('a read-only member can do nothing', () => {
    const { doc, m } = seeded();
    expectRefused(doc, 'read-only', () => sendMessage(doc, reader, { text: 'hi' }));
    expectRefused(doc, 'read-only', () => react(doc, reader, m.id, '👍'));
    expectRefused(doc, 'read-only', () => markRead(doc, reader, m.id));
    expectRefused(doc, 'read-only', () => setProfile(doc, reader, { name: 'R' }));
    expectRefused(doc, 'read-only', () => deleteMessage(doc, reader, m.id));
  });
});

describe('text', () => {
  it('empty, blank, too long and non-string texts are refused', () => {
    const { doc, m } = seeded();
    expectRefused(doc, 'text-empty', () => sendMessage(doc, alice, { text: '' }));
    expectRefused(doc, 'text-empty', () => sendMessage(doc, alice, { text: ' \n\t ' }));
    const error = expectRefused(doc, 'text-too-long', () => sendMessage(doc, alice, { text: 'x'.repeat(LIMITS.textLength + 1) }));
    expect(error.message).toContain('8001 > 8000');
    expectRefused(doc, 'text-not-string', () => sendMessage(doc, alice, { text: 42 as unknown as string }));
    expectRefused(doc, 'text-empty', () => editMessage(doc, alice, m.id, ''));
  });

  it('the limit counts code points, so 8,000 emoji fit', () => {
    const doc = new Y.Doc();
    expect(() => sendMessage(doc, alice, { text: '😀'.repeat(LIMITS.textLength) })).not.toThrow();
  });
});

describe('ids and fields', () => {
  it('malformed message ids, user ids and timestamps are refused', () => {
    const { doc } = seeded();
    expectRefused(doc, 'bad-message-id', () => sendMessage(doc, alice, { id: 'short', text: 'x' }));
    expectRefused(doc, 'bad-message-id', () => sendMessage(doc, alice, { id: '../../etc/passwd', text: 'x' }));
    expectRefused(doc, 'bad-message-id', () => markRead(doc, bob, 'has space in it'));
    expectRefused(doc, 'bad-user-id', () => sendMessage(doc, { userId: 'white space', role: 'write' }, { text: 'x' }));
    expectRefused(doc, 'bad-timestamp', () => sendMessage(doc, alice, { text: 'x', createdAt: -1 }));
    expectRefused(doc, 'bad-timestamp', () => sendMessage(doc, alice, { text: 'x', createdAt: 1.5 }));
  });

  it('unknown fields and malformed records are refused', () => {
    const base = { id: 'abcdefgh12', author: 'alice', text: 'x', createdAt: 1 };
    const code = (value: unknown) => {
      try {
        checkMessageRecord(value);
      } catch (error) {
        return (error as RuleError).code;
      }
      return 'ok';
    };
    expect(code(base)).toBe('ok');
    expect(code({ ...base, admin: true })).toBe('unknown-field');
    expect(code([base])).toBe('bad-record');
    expect(code(null)).toBe('bad-record');
    expect(code({ ...base, deleted: false })).toBe('bad-record');
    expect(code({ ...base, deleted: true, deletedBy: 'alice' })).toBe('bad-record');
    expect(code({ ...base, deletedBy: 'alice' })).toBe('bad-record');
  });

  it('attachments must be a short list of well-formed blob references', () => {
    const { doc } = seeded();
    const ok = { blob: 'a'.repeat(64), name: 'a.png', type: 'image/png', size: 10, width: 4, height: 3, preview: 'b'.repeat(64) };
    expect(() => sendMessage(doc, alice, { text: 'pic', attachments: [ok] })).not.toThrow();
    expect(() => sendMessage(doc, alice, { text: '', attachments: [ok] })).not.toThrow();
    expectRefused(doc, 'text-empty', () => sendMessage(doc, alice, { text: '', attachments: [] }));
    expectRefused(doc, 'bad-attachments', () => sendMessage(doc, alice, { text: 'x', attachments: [{ ...ok, blob: '../../etc/passwd' }] }));
    expectRefused(doc, 'bad-attachments', () => sendMessage(doc, alice, { text: 'x', attachments: [{ ...ok, blob: 'A'.repeat(64) }] }));
    expectRefused(doc, 'bad-attachments', () => sendMessage(doc, alice, { text: 'x', attachments: [{ ...ok, name: 'a/b.png' }] }));
    expectRefused(doc, 'bad-attachments', () => sendMessage(doc, alice, { text: 'x', attachments: [{ ...ok, width: 4, height: undefined as never }] }));
    expectRefused(doc, 'bad-attachments', () => sendMessage(doc, alice, { text: 'x', attachments: [{ ...ok, size: -1 }] }));
    expectRefused(doc, 'bad-attachments', () => sendMessage(doc, alice, { text: 'x', attachments: Array(11).fill(ok) }));
    expectRefused(doc, 'unknown-field', () => sendMessage(doc, alice, { text: 'x', attachments: [{ ...ok, onload: 'x' } as never] }));
  });

  it('only known top-level types of the declared kind', () => {
    expect(() => checkTopLevel('messages', 'array')).not.toThrow();
    const error = (() => { try { checkTopLevel('evil', 'map'); } catch (e) { return e as RuleError; } })();
    expect(error?.code).toBe('unknown-type');
    expect(() => checkTopLevel('messages', 'map')).toThrow(RuleError);
  });
});

describe('authorship', () => {
  it('a new message must be written by its author and reply to an existing message', () => {
    const { doc } = seeded();
    const log = readMessageLog(doc);
    const forged = { id: 'abcdefgh12', author: 'alice', text: 'x', createdAt: 1 };
    expect(() => checkNewMessage(forged, bob, log)).toThrow(expect.objectContaining({ code: 'author-mismatch' }));
    expectRefused(doc, 'bad-reply', () => sendMessage(doc, bob, { text: 'x', replyTo: 'missing-message-1' }));
  });

  it('only the author edits; author or admin deletes; deleted messages stay deleted', () => {
    const { doc, m } = seeded();
    expectRefused(doc, 'not-author', () => editMessage(doc, bob, m.id, 'hijacked'));
    expectRefused(doc, 'not-author-or-admin', () => deleteMessage(doc, bob, m.id));
    expectRefused(doc, 'unknown-message', () => editMessage(doc, alice, 'no-such-message', 'x'));
    deleteMessage(doc, alice, m.id);
    expectRefused(doc, 'message-deleted', () => editMessage(doc, alice, m.id, 'undead'));
    expectRefused(doc, 'message-deleted', () => react(doc, bob, m.id, '👍'));
  });

  it('a revision never changes identity fields', () => {
    const { m } = seeded();
    for (const change of [{ author: 'bob' }, { createdAt: m.createdAt + 1 }, { replyTo: 'abcdefgh12' }]) {
      expect(() => checkRevision(m, { ...m, ...change, editedAt: m.createdAt + 5 }, alice)).toThrow(expect.objectContaining({ code: 'immutable-field' }));
    }
  });
});

describe('own entries', () => {
  it('reactions only under one\u2019s own id, with one emoji', () => {
    const { doc, m } = seeded();
    const log = readMessageLog(doc);
    expect(() => checkReactionKey(`${m.id} alice 👍`, bob, log, true)).toThrow(expect.objectContaining({ code: 'not-own-entry' }));
    expect(() => checkReactionKey(`${m.id} bob`, bob, log, true)).toThrow(expect.objectContaining({ code: 'bad-record' }));
    expectRefused(doc, 'bad-emoji', () => react(doc, bob, m.id, 'lol'));
    expectRefused(doc, 'bad-emoji', () => react(doc, bob, m.id, '👍 👍'));
    expectRefused(doc, 'bad-emoji', () => unreact(doc, bob, m.id, ''));
  });

  it('receipts only under one\u2019s own id, well-formed, never backwards', () => {
    const { doc, m } = seeded();
    const m2 = sendMessage(doc, alice, { text: 'later' });
    const log = readMessageLog(doc);
    const refuse = (owner: string, entry: unknown, current = {}) => {
      try {
        checkReceipt(owner, entry, bob, current, log);
      } catch (error) {
        return (error as RuleError).code;
      }
      return 'ok';
    };
    expect(refuse('bob', { read: m2.id })).toBe('ok');
    expect(refuse('alice', { read: m2.id })).toBe('not-own-entry');
    expect(refuse('bob', {})).toBe('bad-receipt');
    expect(refuse('bob', { read: m2.id, seen: 1 })).toBe('unknown-field');
    expect(refuse('bob', { read: m.id }, { read: m2.id })).toBe('receipt-backwards');
    expect(refuse('bob', { delivered: m2.id }, { delivered: m2.id, read: m.id })).toBe('receipt-backwards');
    markRead(doc, bob, m2.id);
    expect(markDelivered(doc, bob, m.id)).toBe(false);
  });

  it('profiles: a display name, an http(s) avatar', () => {
    const doc = new Y.Doc();
    expectRefused(doc, 'bad-profile', () => setProfile(doc, alice, { name: '   ' }));
    expectRefused(doc, 'bad-profile', () => setProfile(doc, alice, { name: 'x'.repeat(65) }));
    expectRefused(doc, 'bad-profile', () => setProfile(doc, alice, { name: 'A', avatar: 'javascript:alert(1)' }));
    expectRefused(doc, 'bad-timestamp', () => setProfile(doc, alice, { name: 'A', lastSeen: Number.NaN }));
  });
});

describe('room settings', () => {
  it('admins only, known keys, valid values', () => {
    const doc = new Y.Doc();
    expectRefused(doc, 'not-admin', () => setMeta(doc, alice, { title: 'mine now' }));
    expectRefused(doc, 'not-admin', () => setMeta(doc, alice, {}));
    expectRefused(doc, 'bad-meta', () => setMeta(doc, admin, { kind: 'secret' as never }));
    expectRefused(doc, 'bad-meta', () => setMeta(doc, admin, { title: 'x'.repeat(201) }));
    expectRefused(doc, 'unknown-field', () => setMeta(doc, admin, { owner: 'root' } as never));
  });
});

describe('error codes', () => {
  it('every code has its own message', () => {
    const messages = Object.values(RULE_MESSAGES);
    expect(new Set(messages).size).toBe(messages.length);
    const error = new RuleError('text-too-long', 'detail');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RuleError');
    expect(error.message).toBe('message text is longer than the limit: detail');
  });
});
