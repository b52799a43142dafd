// Membership on the multiplexed endpoint (/sync): roster access at attach, removal and bans refuse the document at once, ~account.
import { describe, expect, it } from 'vitest';
import { removeMember, setMemberRole } from '../../shared/membership.js';
import { accountRoomName } from '../../shared/account.js';
import { sendMessage } from '../../shared/operations.js';
import { mintToken, useTestRelay, waitFor } from './helpers.js';
import { create, userToken } from './membership-helpers.js';
import { muxClient } from './mux-client.js';

const ctx = useTestRelay({ membership: { creation: 'open' } });

describe('/sync and the roster', () => {
  it('attaches roster members, refuses strangers, and refuses a removed or banned member’s document at once', async () => {
    const { relay } = ctx;
    const room = await create(relay, await userToken('olga'), { kind: 'group', title: 'Mux', members: ['mia', 'bob'] });
    const olga = muxClient(relay, await userToken('olga'));
    const mia = muxClient(relay, await userToken('mia'));
    const bob = muxClient(relay, await userToken('bob', { '*': 'write' }));
    const stranger = muxClient(relay, await userToken('stranger'));
    await Promise.all([olga.opened, mia.opened, bob.opened, stranger.opened]);
    const o = olga.attach(room);
    const m = mia.attach(room);
    const b = bob.attach(room);
    stranger.attach(room);
    expect(await stranger.refusalFor(room)).toMatchObject({ code: 4403, reason: 'no access to this room' });
    await waitFor(() => o.synced && m.synced && b.synced, 5000, 'members synced');
    sendMessage(m.doc, { userId: 'mia', role: 'write' }, { text: 'hi from mia' });
    await waitFor(() => o.doc.getArray('messages').length === 1, 5000, 'mia’s message reaches olga');

    removeMember(o.doc, { userId: 'olga' }, 'mia');
    expect(await mia.refusalFor(room)).toMatchObject({ code: 4403, reason: 'removed from this conversation' });
    // A ban beats bob's token that grants every room.
    setMemberRole(o.doc, { userId: 'olga' }, 'bob', 'banned');
    expect(await bob.refusalFor(room)).toMatchObject({ code: 4403, reason: 'banned from this conversation' });
    bob.refused.length = 0;
    bob.attach(room);
    expect(await bob.refusalFor(room)).toMatchObject({ code: 4403, reason: 'banned from this conversation' });
    // The sockets stay open: only the document was refused.
    expect(mia.closed).toBeUndefined();
    for (const c of [olga, mia, bob, stranger]) c.ws.close();
  });

  it('opens the caller’s account document as ~account and never another user’s', async () => {
    const { relay } = ctx;
    const room = await create(relay, await userToken('ana'), { kind: 'group', title: 'Listed' });
    const ana = muxClient(relay, await userToken('ana'));
    await ana.opened;
    const account = ana.attach('~account');
    await waitFor(() => account.synced && account.doc.getMap('conversations').has(room), 5000, 'ana’s list');
    const eve = muxClient(relay, await mintToken({ sub: 'eve', rooms: { '*': 'admin' } }));
    await eve.opened;
    const stored = await accountRoomName('ana');
    eve.attach(stored);
    expect(await eve.refusalFor(stored)).toMatchObject({ code: 4403, reason: 'account documents are reachable only as ~account' });
    ana.ws.close();
    eve.ws.close();
  });
});
