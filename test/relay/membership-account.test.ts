// Account documents and invite links against a real relay: who may open and write what, and every way an invite fails.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { accountRoomName, listConversations, readSettings, setPreferences, setSetting } from '../../shared/account.js';
import { connectProvider, mintToken, synced, useTestRelay, waitFor } from './helpers.js';
import { call, closeOf, create, rolesOf, userToken } from './membership-helpers.js';
import { exportDoc } from './helpers.js';

const ctx = useTestRelay({ membership: { creation: 'open' } });

async function open(user: string, room: string, rooms: Record<string, 'read' | 'write' | 'admin'> = {}) {
  const provider = connectProvider(ctx.relay, room, await userToken(user, rooms));
  const closed = closeOf(provider);
  await Promise.race([synced(provider), closed.then((c) => Promise.reject(new Error(`closed ${c.code} ${c.reason}`)))]);
  return { provider, doc: provider.doc, closed };
}

describe('account documents', () => {
  it('list conversations from rosters and from first connects to granted rooms; keep the user’s preferences', async () => {
    const room = await create(ctx.relay, await userToken('ana'), { kind: 'group', title: 'Ana’s' });
    const granted = await open('ana', 'granted-room', { 'granted-room': 'write' });
    const account = await open('ana', '~account');
    await waitFor(() => listConversations(account.doc).length === 2, 5000, 'two conversations listed');
    expect(listConversations(account.doc).map((c) => [c.room, c.role])).toEqual(
      expect.arrayContaining([[room, 'owner'], ['granted-room', 'member']]),
    );
    setPreferences(account.doc, room, { pinned: true, notify: 'mentions' });
    setSetting(account.doc, 'hideMessageText', true);
    expect(listConversations(account.doc)[0]!.room).toBe(room);
    // A second device sees the same list, preferences and settings.
    const second = await open('ana', '~account');
    await waitFor(() => listConversations(second.doc)[0]?.preferences.pinned === true, 5000, 'preferences on the second device');
    await waitFor(() => readSettings(second.doc).hideMessageText === true, 5000, 'settings on the second device');
    for (const p of [granted, account, second]) p.provider.destroy();
  });

  it('refuse writes to the relay-written part, malformed preferences, and another user’s account document', async () => {
    const account = await open('ben', '~account');
    account.doc.getMap('conversations').set('c.fake', { kind: 'group', title: 'forged', role: 'owner', joinedAt: 1 });
    expect(await account.closed).toEqual({ code: 4403, reason: 'write refused: relay-only' });
    const again = await open('ben', '~account');
    again.doc.getMap('preferences').set('room', { pinned: 'yes' });
    expect(await again.closed).toEqual({ code: 4403, reason: 'write refused: bad-preferences' });
    const fourth = await open('ben', '~account');
    fourth.doc.getMap('settings').set('hideMessageText', 'sometimes');
    expect(await fourth.closed).toEqual({ code: 4403, reason: 'write refused: bad-preferences' });
    const fifth = await open('ben', '~account');
    fifth.doc.getMap('settings').set('theme', 'dark');
    expect(await fifth.closed).toEqual({ code: 4403, reason: 'write refused: unknown-field' });
    const third = await open('ben', '~account');
    third.doc.getMap('other').set('x', 1);
    expect(await third.closed).toEqual({ code: 4403, reason: 'write refused: unknown-type' });
    // Someone else's account document, even with a token that grants every room.
    const stored = await accountRoomName('ben');
    const intruder = connectProvider(ctx.relay, stored, await mintToken({ sub: 'eve', rooms: { '*': 'admin' } }));
    expect(await closeOf(intruder)).toEqual({ code: 4403, reason: 'account documents are reachable only as ~account' });
    expect(new Y.Doc().getMap('x').size).toBe(0);
    for (const p of [account, again, third, fourth, fifth]) p.provider.destroy();
    intruder.destroy();
    // Nothing forged landed: ben's list is still empty.
    const check = await open('ben', '~account');
    expect(check.doc.getMap('conversations').size).toBe(0);
    check.provider.destroy();
  });
});

describe('invites', () => {
  it('round trip: an admin creates, lists and a user accepts; the user joins as the invite’s role and sees it listed', async () => {
    const owner = await userToken('ivy');
    const room = await create(ctx.relay, owner, { kind: 'group', title: 'Club' });
    const made = await call(ctx.relay, owner, 'POST', `/conversations/${room}/invites`, { role: 'member', maxUses: 2, ttlSeconds: 3600 });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ role: 'member', maxUses: 2, uses: 0, status: 'usable' });
    const accepted = await call(ctx.relay, await userToken('joe'), 'POST', '/invites/accept', { code: made.body.code });
    expect(accepted.body).toMatchObject({ room, role: 'member', joined: true, title: 'Club' });
    const list = await call(ctx.relay, owner, 'GET', `/conversations/${room}/invites`);
    expect(list.body.invites).toEqual([expect.objectContaining({ id: made.body.id, uses: 1 })]);
    expect(rolesOf(await exportDoc(ctx.relay, room))).toEqual({ ivy: 'owner', joe: 'member' });
    const account = await open('joe', '~account');
    await waitFor(() => listConversations(account.doc).some((c) => c.room === room), 5000, 'joined room listed');
    account.provider.destroy();
    // A member may not invite, nor list.
    expect((await call(ctx.relay, await userToken('joe'), 'POST', `/conversations/${room}/invites`, {})).body.error.code).toBe('not-roster-admin');
    expect((await call(ctx.relay, await userToken('joe'), 'GET', `/conversations/${room}/invites`)).status).toBe(403);
  });

  it('refuses expired, revoked, used-up, tampered and deleted-room invites with clear errors, changing nothing', async () => {
    const owner = await userToken('ivy');
    const room = await create(ctx.relay, owner, { kind: 'group' });
    const invite = async (body: Record<string, unknown>) => (await call(ctx.relay, owner, 'POST', `/conversations/${room}/invites`, body)).body;
    const accept = async (user: string, code: string) => call(ctx.relay, await userToken(user), 'POST', '/invites/accept', { code });

    const once = await invite({ maxUses: 1 });
    expect((await accept('u1', once.code)).status).toBe(200);
    expect((await accept('u2', once.code)).body.error).toEqual({ code: 'invite-used-up', message: 'this invite has been used up' });

    const revoked = await invite({});
    expect((await call(ctx.relay, owner, 'DELETE', `/conversations/${room}/invites/${revoked.id}`)).body.status).toBe('revoked');
    const r = await accept('u3', revoked.code);
    expect([r.status, r.body.error.code]).toEqual([410, 'invite-revoked']);

    // A one-second invite: fresh users accept until it has expired (polled, never slept for).
    const short = await invite({ ttlSeconds: 1, maxUses: 1000 });
    let n = 0;
    const late = await waitFor(async () => {
      const res = await accept(`late-${n++}`, short.code);
      return res.status === 410 ? res : undefined;
    }, 15_000, 'the invite to expire');
    expect(late!.body.error.code).toBe('invite-expired');

    const good = await invite({});
    const tampered = good.code.slice(0, -1) + (good.code.endsWith('A') ? 'B' : 'A');
    const t = await accept('u6', tampered);
    expect([t.status, t.body.error.code]).toEqual([400, 'invite-invalid']);
    const forged = await accept('u6', `${Buffer.from(`${room} ${'x'.repeat(22)}`).toString('base64url')}.${good.code.split('.')[1]}`);
    expect(forged.body.error.code).toBe('invite-invalid');
    expect((await accept('u6', 'not a code')).body.error.code).toBe('invite-invalid');

    const roster = rolesOf(await exportDoc(ctx.relay, room));
    expect(roster.u2 ?? roster.u3 ?? roster.u6).toBeUndefined();

    const listed = await open('u1', '~account');
    await waitFor(() => listed.doc.getMap('conversations').has(room), 5000, 'u1 lists the room before the delete');
    listed.provider.destroy();
    const admin = await mintToken({ sub: 'site-admin', rooms: { [room]: 'admin' } });
    expect((await fetch(`${ctx.relay.url}/rooms/${room}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
    const gone = await accept('u7', good.code);
    expect([gone.status, gone.body.error.code]).toEqual([404, 'conversation-not-found']);
    // The deleted conversation left its members' lists too.
    const account = await open('u1', '~account');
    expect(account.doc.getMap('conversations').has(room)).toBe(false);
    account.provider.destroy();
  });

  it('lets any signed-in user join a public channel as a member, and nobody a private one', async () => {
    const owner = await userToken('pam');
    const pub = await create(ctx.relay, owner, { kind: 'channel', title: 'Public', public: true });
    const priv = await create(ctx.relay, owner, { kind: 'channel', title: 'Private' });
    expect((await call(ctx.relay, await userToken('walker'), 'POST', `/conversations/${pub}/join`)).body).toMatchObject({ role: 'member', joined: true });
    expect((await call(ctx.relay, await userToken('walker'), 'POST', `/conversations/${priv}/join`)).body.error.code).toBe('not-public');
  });
});
