// The @mentions rule and helpers: shape and bound table, membership against roster and profiles, edits, tombstones, text parsing, randomized records.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  checkMessageRecord, deleteMessage, editMessage, getMessage, LIMITS, RuleError, sendMessage, setProfile,
  checkRevision, type MessageRecord,
} from '../../shared/conversation.js';
import {
  checkMentionList, checkMentionMembers, filterMentionables, mentionableIn, mentionQueryAt, mentionSpans, mentionsInText,
  mentionsOf, mentionsUser,
} from '../../shared/mentions.js';
import { ROSTER } from '../../shared/roster.js';
import { unreadMentions } from '../../shared/mention-queries.js';
import { markRead } from '../../shared/operations.js';
import { markThreadRead } from '../../shared/threads.js';
import { alice, bob, carol, expectRefused } from './helpers.js';

const base = { id: 'msg-0000001', author: 'alice', text: 'hi @Bob', createdAt: 1_700_000_000_000 };
const codeOf = (action: () => unknown): string | undefined => {
  try {
    action();
    return undefined;
  } catch (error) {
    if (error instanceof RuleError) return error.code;
    throw error;
  }
};

/** A room whose roster knows alice, bob and a banned eve; carol has only a profile. */
function rosterRoom(): Y.Doc {
  const doc = new Y.Doc();
  const roster = doc.getMap(ROSTER);
  for (const [user, role] of [['alice', 'owner'], ['bob', 'member'], ['rita', 'reader'], ['eve', 'banned']] as const) {
    roster.set(user, { role, by: 'alice', at: 1 });
  }
  setProfile(doc, carol, { name: 'Carol' });
  return doc;
}

describe('the shape of mentions', () => {
  const table: Array<[string, unknown, string | undefined]> = [
    ['one id', ['bob'], undefined],
    ['several ids', ['bob', 'carol', 'provider|42'], undefined],
    ['exactly the limit', Array.from({ length: LIMITS.mentions }, (_, i) => `user-${i}`), undefined],
    ['not an array', 'bob', 'bad-mentions'],
    ['an object', { 0: 'bob' }, 'bad-mentions'],
    ['empty', [], 'bad-mentions'],
    ['a number inside', ['bob', 7], 'bad-mentions'],
    ['a space in an id', ['has space'], 'bad-mentions'],
    ['an empty id', [''], 'bad-mentions'],
    ['a too long id', ['x'.repeat(129)], 'bad-mentions'],
    ['a duplicate', ['bob', 'carol', 'bob'], 'bad-mentions'],
    ['one over the limit', Array.from({ length: LIMITS.mentions + 1 }, (_, i) => `user-${i}`), 'too-many-mentions'],
    ['a flood', new Array(1_000_000).fill('bob'), 'too-many-mentions'],
  ];
  for (const [name, mentions, code] of table) {
    it(`${name}: ${code ?? 'accepted'}`, () => {
      expect(codeOf(() => checkMentionList(mentions))).toBe(code);
      expect(codeOf(() => checkMessageRecord({ ...base, mentions }))).toBe(code);
    });
  }

  it('refuses a flood before reading a single element (a getter on index 0 is never called)', () => {
    const flood = new Array(10_000_000);
    let reads = 0;
    Object.defineProperty(flood, 0, { get: () => (reads++, 'bob') });
    expect(codeOf(() => checkMentionList(flood))).toBe('too-many-mentions');
    expect(reads).toBe(0);
  });

  it('a tombstone keeps no mentions', () => {
    const tombstone = { id: base.id, author: 'alice', text: '', createdAt: base.createdAt, deleted: true, deletedBy: 'alice' };
    expect(codeOf(() => checkMessageRecord(tombstone))).toBeUndefined();
    expect(codeOf(() => checkMessageRecord({ ...tombstone, mentions: ['bob'] }))).toBe('bad-record');
  });

  it('randomized records: accepted exactly when the list is a non-empty, bounded list of distinct well-formed ids', () => {
    let seed = 17;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pool = ['bob', 'carol', 'a|1', 'x y', '', 'é', 42, null, 'z'.repeat(129), 'ok@example.com'];
    for (let run = 0; run < 2000; run++) {
      const length = Math.floor(random() * (random() < 0.1 ? 120 : 6));
      const list = Array.from({ length }, () => (random() < 0.8 ? `u${Math.floor(random() * 80)}` : pool[Math.floor(random() * pool.length)]));
      const wellFormed = list.every((id) => typeof id === 'string' && /^[\x21-\x7e]{1,128}$/.test(id));
      const distinct = new Set(list).size === list.length;
      const expected = length === 0 ? 'bad-mentions' : length > LIMITS.mentions ? 'too-many-mentions' : wellFormed && distinct ? undefined : 'bad-mentions';
      expect(codeOf(() => checkMessageRecord({ ...base, mentions: list })), JSON.stringify(list)).toBe(expected);
    }
  });
});

describe('who may be mentioned', () => {
  it('roster members of any role but banned, profile holders, and the author; nobody else', () => {
    const doc = rosterRoom();
    const members = mentionableIn(doc);
    const check = (mentions: string[]) => codeOf(() => checkMentionMembers({ ...base, mentions } as MessageRecord, members));
    expect(check(['bob', 'rita', 'carol'])).toBeUndefined();
    expect(check(['alice'])).toBeUndefined();
    expect(check(['eve'])).toBe('mention-not-member');
    expect(check(['bob', 'mallory'])).toBe('mention-not-member');
    // Looking did not create top-level types.
    expect([...doc.share.keys()].some((name) => name.includes('mallory'))).toBe(false);
  });

  it('a room without a roster (token grants) knows the people with a profile', () => {
    const doc = new Y.Doc();
    setProfile(doc, bob, { name: 'Bob' });
    expect(mentionableIn(doc).isMember('bob')).toBe(true);
    expect(mentionableIn(doc).isMember('carol')).toBe(false);
  });

  it('a profile does not make a banned user mentionable', () => {
    const doc = rosterRoom();
    setProfile(doc, { userId: 'eve', role: 'write' }, { name: 'Eve' });
    expect(mentionableIn(doc).isMember('eve')).toBe(false);
  });

  it('sendMessage and editMessage check members and leave the document untouched when refused', () => {
    const doc = rosterRoom();
    expectRefused(doc, 'mention-not-member', () => sendMessage(doc, alice, { text: 'hi @Mallory', mentions: ['mallory'] }));
    expectRefused(doc, 'too-many-mentions', () => sendMessage(doc, alice, { text: 'hi', mentions: Array.from({ length: 51 }, (_, i) => `u${i}`) }));
    const sent = sendMessage(doc, alice, { text: 'hi @Bob', mentions: ['bob'] });
    expect(sent.mentions).toEqual(['bob']);
    expect(sendMessage(doc, alice, { text: 'no one', mentions: [] }).mentions).toBeUndefined();
    expectRefused(doc, 'mention-not-member', () => editMessage(doc, alice, sent.id, 'hi @Eve', ['eve']));
    // Left out, the mentions stay; given, they are replaced; empty, they go.
    expect(editMessage(doc, alice, sent.id, 'hi @Bob!').mentions).toEqual(['bob']);
    expect(editMessage(doc, alice, sent.id, 'hi @Carol', ['carol']).mentions).toEqual(['carol']);
    expect(editMessage(doc, alice, sent.id, 'hi all', []).mentions).toBeUndefined();
  });

  it('an identical re-send must carry the same mentions', () => {
    const current = { ...base, mentions: ['bob'] } as MessageRecord;
    expect(codeOf(() => checkRevision(current, { ...current }, alice))).toBeUndefined();
    expect(codeOf(() => checkRevision(current, { ...current, mentions: ['carol'] }, alice))).toBe('duplicate-message');
  });

  it('deleting drops the mentions; thread replies mention the same way', () => {
    const doc = rosterRoom();
    const root = sendMessage(doc, alice, { text: 'root' });
    const reply = sendMessage(doc, bob, { text: '@Alice look', threadRoot: root.id, mentions: ['alice'] });
    expect(mentionsUser(getMessage(doc, reply.id)!, 'alice')).toBe(true);
    deleteMessage(doc, bob, reply.id);
    const gone = getMessage(doc, reply.id)!;
    expect(gone.mentions).toBeUndefined();
    expect(mentionsOf({ ...gone, deleted: true })).toEqual([]);
  });
});

describe('mention helpers', () => {
  it('mentionsUser: listed, not deleted, never one’s own message', () => {
    expect(mentionsUser({ author: 'alice', mentions: ['bob'] }, 'bob')).toBe(true);
    expect(mentionsUser({ author: 'alice', mentions: ['bob'] }, 'carol')).toBe(false);
    expect(mentionsUser({ author: 'alice', mentions: ['alice'] }, 'alice')).toBe(false);
    expect(mentionsUser({ author: 'alice', mentions: ['bob'], deleted: true }, 'bob')).toBe(false);
    expect(mentionsUser({ author: 'alice' }, 'bob')).toBe(false);
  });

  const people = [{ id: 'u1', name: 'Ada' }, { id: 'u2', name: 'Ada Lovelace' }, { id: 'u3', name: 'Bob' }];

  it('mentionSpans finds whole @Name tokens, longest name first, case-insensitively', () => {
    expect(mentionSpans('hi @Ada Lovelace and @bob!', people)).toEqual([
      { text: 'hi ' }, { text: '@Ada Lovelace', mention: 'u2' }, { text: ' and ' }, { text: '@bob', mention: 'u3' }, { text: '!' },
    ]);
    expect(mentionSpans('mail ada@Bob.org or @Bobby', people)).toEqual([{ text: 'mail ada@Bob.org or @Bobby' }]);
    expect(mentionSpans('@Ada', people)).toEqual([{ text: '@Ada', mention: 'u1' }]);
    expect(mentionSpans('no mentions', people)).toEqual([{ text: 'no mentions' }]);
  });

  it('mentionsInText keeps the people whose @Name is still there, once each, in order', () => {
    expect(mentionsInText('@Bob and @Ada, again @Bob', people)).toEqual(['u3', 'u1']);
    expect(mentionsInText('Bob left the text', people)).toEqual([]);
    const many = Array.from({ length: 80 }, (_, i) => ({ id: `p${i}`, name: `P${i}x` }));
    expect(mentionsInText(many.map((p) => `@${p.name}`).join(' '), many)).toHaveLength(LIMITS.mentions);
  });

  it('mentionQueryAt finds the @query before the caret', () => {
    expect(mentionQueryAt('hello @Ad', 9)).toEqual({ at: 6, query: 'Ad' });
    expect(mentionQueryAt('@', 1)).toEqual({ at: 0, query: '' });
    expect(mentionQueryAt('@Ada Lo', 7)).toEqual({ at: 0, query: 'Ada Lo' });
    expect(mentionQueryAt('mail a@b', 8)).toBeUndefined();
    expect(mentionQueryAt('@Ada\nx', 6)).toBeUndefined();
    expect(mentionQueryAt('no at', 5)).toBeUndefined();
    expect(mentionQueryAt(`@${'x'.repeat(100)}`, 101)).toBeUndefined();
  });

  it('filterMentionables: name or id prefix first, then a later word', () => {
    expect(filterMentionables(people, 'ad').map((p) => p.id)).toEqual(['u1', 'u2']);
    expect(filterMentionables(people, 'love').map((p) => p.id)).toEqual(['u2']);
    expect(filterMentionables(people, '').map((p) => p.id)).toEqual(['u1', 'u2', 'u3']);
    expect(filterMentionables(people, 'zz')).toEqual([]);
  });
});

describe('unread mentions', () => {
  it('counts messages mentioning the user after their read mark, thread replies after their thread mark; never their own', () => {
    const doc = rosterRoom();
    const root = sendMessage(doc, alice, { text: 'root' });
    const first = sendMessage(doc, alice, { text: '@Bob one', mentions: ['bob'] });
    sendMessage(doc, alice, { text: 'plain' });
    const inThread = sendMessage(doc, alice, { text: '@Bob in the thread', threadRoot: root.id, mentions: ['bob'] });
    sendMessage(doc, bob, { text: '@Bob talking to myself', mentions: ['bob'] });
    expect(unreadMentions(doc, 'bob')).toEqual([first.id, inThread.id]);
    expect(unreadMentions(doc, 'carol')).toEqual([]);
    markRead(doc, bob, first.id);
    expect(unreadMentions(doc, 'bob')).toEqual([inThread.id]);
    markThreadRead(doc, bob, root.id);
    expect(unreadMentions(doc, 'bob')).toEqual([]);
    const later = sendMessage(doc, carol, { text: 'hey @Bob', mentions: ['bob'] });
    expect(unreadMentions(doc, 'bob')).toEqual([later.id]);
    deleteMessage(doc, carol, later.id);
    expect(unreadMentions(doc, 'bob')).toEqual([]);
  });
});
