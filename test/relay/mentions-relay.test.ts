// @mentions through a real relay: members accepted and synced, non-members and floods refused naming the rule, others unaffected.
import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { editMessage, getMessage, sendMessage, setProfile, type Writer } from '../../shared/conversation.js';
import { attemptWrite, connectProvider, exportDoc, mintToken, synced, useTestRelay, waitFor } from './helpers.js';
import { create, userToken } from './membership-helpers.js';

const ctx = useTestRelay({ membership: { creation: 'open' } });
const olga: Writer = { userId: 'olga', role: 'admin' };
const mia: Writer = { userId: 'mia', role: 'write' };
let room: string;

const attempt = (target: string, token: string, write: (doc: Y.Doc) => void) => attemptWrite(ctx.relay, target, token, write);

/** A record pushed raw, as a hostile client would (no client-side check). */
const forge = (author: string, mentions: unknown, id = `forged-${Math.random().toString(36).slice(2, 12)}`) => (doc: Y.Doc) =>
  doc.getArray('messages').push([{ id, author, text: 'hey @you', createdAt: Date.now(), mentions }]);

beforeAll(async () => {
  room = await create(ctx.relay, await userToken('olga'), { kind: 'group', title: 'Team', members: ['mia', 'rita'] });
});

describe('mentions in a conversation with a roster', () => {
  it('accepts mentions of members and syncs them to the mentioned user', async () => {
    const olgaProvider = connectProvider(ctx.relay, room, await userToken('olga'));
    const miaProvider = connectProvider(ctx.relay, room, await userToken('mia'));
    await Promise.all([synced(olgaProvider), synced(miaProvider)]);
    const sent = sendMessage(olgaProvider.doc, olga, { text: 'hi @Mia and @Rita', mentions: ['mia', 'rita'] });
    await waitFor(() => getMessage(miaProvider.doc, sent.id), 5000, 'the message at mia');
    expect(getMessage(miaProvider.doc, sent.id)!.mentions).toEqual(['mia', 'rita']);
    // An edit may change them (the same check): mia edits her own message to mention olga.
    const own = sendMessage(miaProvider.doc, mia, { text: 'ok' });
    editMessage(miaProvider.doc, mia, own.id, 'ok @Olga', ['olga']);
    await waitFor(() => getMessage(olgaProvider.doc, own.id)?.mentions?.[0] === 'olga', 5000, 'the edit at olga');
    olgaProvider.destroy();
    miaProvider.destroy();
  });

  it('refuses a mention of a non-member, and an edit that adds one, naming the rule; others stay connected', async () => {
    const watcher = connectProvider(ctx.relay, room, await userToken('olga'));
    await synced(watcher);
    const token = await userToken('mia');
    expect(await attempt(room, token, forge('mia', ['mallory']))).toEqual({ code: 4403, reason: expect.stringContaining('mention-not-member') });
    const mine = sendMessage(watcher.doc, olga, { text: 'edit me' });
    await waitFor(async () => getMessage(await exportDoc(ctx.relay, room), mine.id), 5000, 'stored');
    const olgaToken = await userToken('olga');
    const edit = await attempt(room, olgaToken, (doc) => patchMentions(doc, mine.id, ['mallory']));
    expect(edit).toEqual({ code: 4403, reason: expect.stringContaining('mention-not-member') });
    // The room is untouched and the watcher was not disconnected: its next message goes through.
    expect(getMessage(await exportDoc(ctx.relay, room), mine.id)!.mentions).toBeUndefined();
    expect(watcher.wsconnected).toBe(true);
    const after = sendMessage(watcher.doc, olga, { text: 'still here @Mia', mentions: ['mia'] });
    await waitFor(async () => getMessage(await exportDoc(ctx.relay, room), after.id), 5000, 'the watcher’s next message');
    watcher.destroy();
  });

  it('refuses a banned user as a mention', async () => {
    const owner = connectProvider(ctx.relay, room, await userToken('olga'));
    await synced(owner);
    owner.doc.getMap('roster').set('bram', { role: 'banned', by: 'olga', at: Date.now() });
    await waitFor(async () => (await exportDoc(ctx.relay, room)).getMap('roster').has('bram'), 5000, 'the ban stored');
    owner.destroy();
    expect(await attempt(room, await userToken('mia'), forge('mia', ['bram']))).toEqual({ code: 4403, reason: expect.stringContaining('mention-not-member') });
  });

  it('refuses floods of mentions, one over the limit up to a huge array, with the rule’s code', async () => {
    const token = await userToken('mia');
    const over = Array.from({ length: 51 }, (_, i) => `user-${i}`);
    expect(await attempt(room, token, forge('mia', over))).toEqual({ code: 4403, reason: expect.stringContaining('too-many-mentions') });
    // ~750 KB in one frame: the count is checked before any element, so the refusal costs the decode only.
    const huge = new Array(150_000).fill('mia');
    expect(await attempt(room, token, forge('mia', huge))).toEqual({ code: 4403, reason: expect.stringContaining('too-many-mentions') });
    expect(await attempt(room, token, forge('mia', ['mia', 'mia']))).toEqual({ code: 4403, reason: expect.stringContaining('bad-mentions') });
    expect(await attempt(room, token, forge('mia', []))).toEqual({ code: 4403, reason: expect.stringContaining('bad-mentions') });
    expect(await attempt(room, token, forge('mia', ['olga']))).toBe('accepted');
  });
});

describe('mentions in a room granted by tokens alone (no roster)', () => {
  const ROOM = 'token-room-mentions';
  it('accepts people with a profile in the room and refuses others', async () => {
    const token = (sub: string) => mintToken({ sub, rooms: { [ROOM]: 'write' } });
    const bob = connectProvider(ctx.relay, ROOM, await token('bob'));
    await synced(bob);
    setProfile(bob.doc, { userId: 'bob', role: 'write' }, { name: 'Bob' });
    await waitFor(async () => (await exportDoc(ctx.relay, ROOM)).share.has('members:bob'), 5000, 'bob’s profile stored');
    bob.destroy();
    expect(await attempt(ROOM, await token('ann'), forge('ann', ['bob']))).toBe('accepted');
    expect(await attempt(ROOM, await token('ann'), forge('ann', ['ann']))).toBe('accepted');
    expect(await attempt(ROOM, await token('ann'), forge('ann', ['carl']))).toEqual({ code: 4403, reason: expect.stringContaining('mention-not-member') });
  });
});

/** Edits the newest record of `id` in `doc` to mention `mentions` (bypassing the client's check, as a hostile client could). */
function patchMentions(doc: Y.Doc, id: string, mentions: string[]): void {
  const messages = doc.getArray<Record<string, unknown>>('messages');
  const index = messages.toArray().findLastIndex((record) => record.id === id);
  const record = messages.get(index);
  doc.transact(() => {
    messages.delete(index, 1);
    messages.insert(index, [{ ...record, text: 'hi @Mallory', editedAt: Date.now(), mentions }]);
  });
}
