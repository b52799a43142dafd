// Membership against a real relay: creation, roster rules enforced by the guard, removal and bans, system entries, direct conversations.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { directRoomName, ROSTER, type RosterEntry } from '../../shared/roster.js';
import { removeMember, setMemberRole } from '../../shared/membership.js';
import { getSystemEvents, EVENTS } from '../../shared/system-events.js';
import { sendMessage } from '../../shared/operations.js';
import { connectProvider, exportDoc, synced, useTestRelay, waitFor } from './helpers.js';
import { call, closeOf, create, rolesOf, userToken, waitForRole } from './membership-helpers.js';

const ctx = useTestRelay({ membership: { creation: 'open' } });

/** A group owned by olga with the given members; returns its name. */
async function group(members: string[], extra: Record<string, unknown> = {}): Promise<string> {
  return create(ctx.relay, await userToken('olga'), { kind: 'group', title: 'Team', members, ...extra });
}

/** Connects `user` (token granting nothing, unless `rooms`) to `room` and waits for the sync. */
async function join(user: string, room: string, rooms: Record<string, 'read' | 'write' | 'admin'> = {}) {
  const provider = connectProvider(ctx.relay, room, await userToken(user, rooms));
  const closed = closeOf(provider);
  await Promise.race([synced(provider), closed.then((c) => Promise.reject(new Error(`closed ${c.code} ${c.reason}`)))]);
  return { provider, doc: provider.doc, closed };
}

/** A raw roster write, as a hostile client would send it (no client-side check). */
const forceRole = (doc: Y.Doc, target: string, role: string, by: string) =>
  doc.getMap<RosterEntry>(ROSTER).set(target, { role: role as never, by, at: Date.now() });

describe('creating conversations', () => {
  it('makes the creator owner and the members members, with system entries, and lists it in their accounts', async () => {
    const room = await group(['mia']);
    expect(room).toMatch(/^c\./);
    const olga = await join('olga', room);
    expect(rolesOf(olga.doc)).toEqual({ olga: 'owner', mia: 'member' });
    expect(getSystemEvents(olga.doc).map((e) => e.type)).toEqual(['created', 'joined']);
    expect(olga.doc.getMap('meta').toJSON()).toEqual({ kind: 'group', title: 'Team' });
    const account = await join('mia', '~account');
    await waitFor(() => account.doc.getMap('conversations').has(room), 5000, 'the room in mia’s list');
    expect(account.doc.getMap('conversations').get(room)).toMatchObject({ kind: 'group', title: 'Team', role: 'member' });
    olga.provider.destroy();
    account.provider.destroy();
  });

  it('refuses bad requests with a JSON error and creates nothing', async () => {
    const token = await userToken('olga');
    const bad = [
      [{ kind: 'secret' }, 400, 'bad-request'],
      [{ kind: 'group', title: 'x'.repeat(201) }, 400, 'bad-request'],
      [{ kind: 'group', members: ['has space'] }, 400, 'bad-request'],
      [{ kind: 'group', public: true }, 400, 'bad-request'],
      [{ kind: 'group', room: '~account.x' }, 400, 'bad-room-name'],
      [{ kind: 'direct', members: ['olga'] }, 400, 'direct-pair'],
      [{ kind: 'direct', members: ['a', 'b'] }, 400, 'direct-pair'],
      [{ kind: 'direct', members: [] }, 400, 'direct-pair'],
    ] as const;
    for (const [body, status, code] of bad) {
      const res = await call(ctx.relay, token, 'POST', '/conversations', body);
      expect([res.status, res.body.error.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect((await call(ctx.relay, undefined, 'POST', '/conversations', { kind: 'group' })).status).toBe(401);
    const named = await group([], { room: 'team-x' });
    const again = await call(ctx.relay, token, 'POST', '/conversations', { kind: 'group', room: named });
    expect([again.status, again.body.error.code]).toEqual([409, 'exists']);
  });

  it('gives both sides of a direct conversation one room, even when both start it at once', async () => {
    const [a, b] = await Promise.all([
      create(ctx.relay, await userToken('dana'), { kind: 'direct', members: ['eve'] }),
      create(ctx.relay, await userToken('eve'), { kind: 'direct', members: ['dana'] }),
    ]);
    expect(a).toBe(b);
    expect(a).toBe(await directRoomName('eve', 'dana'));
    const dana = await join('dana', a);
    expect(rolesOf(dana.doc)).toEqual({ dana: 'member', eve: 'member' });
    // Nobody changes a direct conversation's members: not even adding a third.
    forceRole(dana.doc, 'frank', 'member', 'dana');
    expect(await dana.closed).toEqual({ code: 4403, reason: 'write refused: direct-fixed' });
    expect(rolesOf(await exportDoc(ctx.relay, a))).toEqual({ dana: 'member', eve: 'member' });
    dana.provider.destroy();
  });

  it('refuses a user who is neither granted by the token nor in the roster', async () => {
    const room = await group([]);
    const stranger = connectProvider(ctx.relay, room, await userToken('stranger'));
    expect(await closeOf(stranger)).toEqual({ code: 4403, reason: 'no access to this room' });
    stranger.destroy();
  });
});

describe('the guard enforces the roster rules (hostile raw-Yjs writes)', () => {
  it('refuses a member making themselves admin, an admin making an owner, the last owner leaving, forged system entries', async () => {
    const room = await group(['mia', 'adam']);
    const olga = await join('olga', room);
    setMemberRole(olga.doc, { userId: 'olga' }, 'adam', 'admin');
    await waitFor(async () => rolesOf(await exportDoc(ctx.relay, room)).adam === 'admin', 5000, 'adam admin');

    const cases: Array<[string, (doc: Y.Doc) => void, string]> = [
      ['mia', (doc) => forceRole(doc, 'mia', 'admin', 'mia'), 'self-promotion'],
      ['adam', (doc) => forceRole(doc, 'mia', 'owner', 'adam'), 'not-roster-admin'],
      ['adam', (doc) => forceRole(doc, 'olga', 'member', 'adam'), 'not-roster-admin'],
      ['mia', (doc) => forceRole(doc, 'zed', 'member', 'mia'), 'not-roster-admin'],
      ['mia', (doc) => doc.getArray(EVENTS).push([{ type: 'joined', actor: 'olga', target: 'zed', at: Date.now() }]), 'relay-only'],
      ['mia', (doc) => doc.getMap('invites').set('x', { role: 'admin' }), 'relay-only'],
      ['adam', (doc) => doc.getMap('meta').set('kind', 'direct'), 'kind-fixed'],
      // Even an owner changes at most 100 members per update (each change costs a conversation-list write).
      ['olga', (doc) => doc.transact(() => {
        for (let i = 0; i <= 100; i++) forceRole(doc, `bulk-${i}`, 'member', 'olga');
      }), 'bad-roster'],
    ];
    for (const [user, write, rule] of cases) {
      const before = Y.encodeStateVector(await exportDoc(ctx.relay, room));
      const hostile = await join(user, room);
      write(hostile.doc);
      expect(await hostile.closed, rule).toEqual({ code: 4403, reason: `write refused: ${rule}` });
      hostile.provider.destroy();
      expect(Y.encodeStateVector(await exportDoc(ctx.relay, room)), `${rule}: nothing changed`).toEqual(before);
    }
    // The last owner leaving: refused too, and olga's own client refuses it before sending.
    expect(() => removeMember(olga.doc, { userId: 'olga' }, 'olga')).toThrow(/last owner/);
    const olga2 = await join('olga', room);
    olga2.doc.getMap(ROSTER).delete('olga');
    expect(await olga2.closed).toEqual({ code: 4403, reason: 'write refused: last-owner' });
    // Everyone else was unaffected: olga's first connection still works.
    sendMessage(olga.doc, { userId: 'olga', role: 'admin' }, { text: 'still here' });
    await waitFor(async () => (await exportDoc(ctx.relay, room)).getArray('messages').length === 1, 5000, 'olga’s message');
    olga.provider.destroy();
    olga2.provider.destroy();
  });

  it('lets an admin manage members, records it as system entries, and lets a reader leave', async () => {
    const room = await group(['adam', 'rob']);
    const olga = await join('olga', room);
    setMemberRole(olga.doc, { userId: 'olga' }, 'adam', 'admin');
    await waitFor(async () => rolesOf(await exportDoc(ctx.relay, room)).adam === 'admin', 5000, 'adam admin');
    const adam = await join('adam', room);
    await waitForRole(adam.doc, 'adam', 'admin');
    setMemberRole(adam.doc, { userId: 'adam' }, 'rob', 'reader');
    setMemberRole(adam.doc, { userId: 'adam' }, 'nia', 'member');
    const rob = await join('rob', room);
    await waitForRole(rob.doc, 'rob', 'reader');
    removeMember(rob.doc, { userId: 'rob' }, 'rob');
    await waitFor(async () => getSystemEvents(await exportDoc(ctx.relay, room)).some((e) => e.type === 'left'), 5000, 'left entry');
    const events = getSystemEvents(await exportDoc(ctx.relay, room)).map((e) => [e.type, e.actor, e.target, e.role]);
    expect(events).toEqual([
      ['created', 'olga', undefined, undefined],
      ['joined', 'olga', 'adam', 'member'],
      ['joined', 'olga', 'rob', 'member'],
      ['role', 'olga', 'adam', 'admin'],
      ['role', 'adam', 'rob', 'reader'],
      ['joined', 'adam', 'nia', 'member'],
      ['left', 'rob', 'rob', undefined],
    ]);
    olga.provider.destroy();
    adam.provider.destroy();
    rob.provider.destroy();
  });

  it('in a channel lets only admins post; members still react and read', async () => {
    const room = await create(ctx.relay, await userToken('olga'), { kind: 'channel', title: 'News', members: ['mia'] });
    const olga = await join('olga', room);
    sendMessage(olga.doc, { userId: 'olga', role: 'admin' }, { text: 'announcement' });
    const mia = await join('mia', room);
    await waitFor(() => mia.doc.getArray('messages').length === 1, 5000, 'the announcement');
    sendMessage(mia.doc, { userId: 'mia', role: 'write' }, { text: 'reply?' });
    expect(await mia.closed).toEqual({ code: 4403, reason: 'write refused: channel-admins-only' });
    olga.provider.destroy();
    mia.provider.destroy();
  });
});

describe('removal and bans', () => {
  it('closes a removed member’s open connection at once and refuses them afterwards', async () => {
    const room = await group(['mia']);
    const olga = await join('olga', room);
    const mia = await join('mia', room);
    removeMember(olga.doc, { userId: 'olga' }, 'mia');
    expect(await mia.closed).toEqual({ code: 4403, reason: 'removed from this conversation' });
    const again = connectProvider(ctx.relay, room, await userToken('mia'));
    expect(await closeOf(again)).toEqual({ code: 4403, reason: 'no access to this room' });
    again.destroy();
    olga.provider.destroy();
    mia.provider.destroy();
  });

  it('a ban beats a token that grants the room: open connections close, new ones are refused, writes never land', async () => {
    const room = await group([]);
    const olga = await join('olga', room);
    const bob = await join('bob', room, { '*': 'write' });
    setMemberRole(olga.doc, { userId: 'olga' }, 'bob', 'banned');
    expect(await bob.closed).toEqual({ code: 4403, reason: 'banned from this conversation' });
    const again = connectProvider(ctx.relay, room, await userToken('bob', { [room]: 'admin' }));
    expect(await closeOf(again)).toEqual({ code: 4403, reason: 'banned from this conversation' });
    again.destroy();
    bob.provider.destroy();
    olga.provider.destroy();
    const events = getSystemEvents(await exportDoc(ctx.relay, room)).map((e) => e.type);
    expect(events).toContain('banned');
  });

  it('an admin’s offline roster change syncs when they reconnect and is enforced', async () => {
    const room = await group(['adam', 'mia']);
    const olga = await join('olga', room);
    setMemberRole(olga.doc, { userId: 'olga' }, 'adam', 'admin');
    const adam = await join('adam', room);
    await waitForRole(adam.doc, 'adam', 'admin');
    adam.provider.disconnect();
    const mia = await join('mia', room);
    // Offline: adam bans mia on his own copy.
    setMemberRole(adam.doc, { userId: 'adam' }, 'mia', 'banned');
    expect(rolesOf(await exportDoc(ctx.relay, room)).mia).toBe('member');
    adam.provider.connect();
    expect(await mia.closed).toEqual({ code: 4403, reason: 'banned from this conversation' });
    await waitForRole(olga.doc, 'mia', 'banned');
    olga.provider.destroy();
    adam.provider.destroy();
    mia.provider.destroy();
  });
});
