// Membership in the browser against a real relay: the conversation list follows the user to a fresh device, removal, invites, and the list-open time.
import { expect } from '@esm-bundle/chai';
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import {
  logout, membershipApi, membersOf, openAccount, openConversation, openDirect, removalOf, remove, setRole,
  type Account, type Conversation,
} from '../../client/index.js';
import { docDbName } from '../../client/idb.js';
import { mintToken, relayInfo, startRelay, stopRelay, uniqueUser, until, waitFor } from './support/helpers.js';

/** A user whose tokens grant no room: everything comes from rosters. */
async function member(name: string) {
  const user = uniqueUser(name);
  const { url } = await relayInfo();
  const getToken = () => mintToken({ sub: user.id, name: user.name, rooms: {} });
  return { user, url, getToken, api: membershipApi({ relayUrl: url, getToken }) };
}

const toClose: Array<Account | Conversation> = [];
const track = <T extends Account | Conversation>(x: T): T => {
  toClose.push(x);
  return x;
};

describe('client: membership', () => {
  afterEach(async () => {
    await Promise.all(toClose.splice(0).map((x) => x.close()));
  });

  it('shows every conversation on a fresh device after sign-in (account document from the relay)', async () => {
    const ana = await member('Ana');
    const bob = await member('Bob');
    const rooms = [
      (await ana.api.createConversation({ kind: 'group', title: 'Team' })).room,
      (await ana.api.createConversation({ kind: 'channel', title: 'News' })).room,
      (await bob.api.createConversation({ kind: 'group', title: 'Bob’s', members: [ana.user.id] })).room,
    ];
    const direct = await openDirect(ana.api, ana.user.id, bob.user.id);
    await direct.ready;
    rooms.push(direct.room);
    const first = track(openAccount({ relayUrl: ana.url, user: ana.user, getToken: ana.getToken }));
    await waitFor(() => first.conversations().length === 4, { what: 'four conversations on the first device' });
    first.setPreferences(rooms[1]!, { pinned: true });
    await waitFor(() => first.connectionState().synced && first.conversations()[0]!.room === rooms[1]);
    await first.close();
    toClose.splice(0);
    // Sign out (wipes this device) and back in: the list comes back from the relay, pinned first.
    await logout(ana.user.id);
    const second = track(openAccount({ relayUrl: ana.url, user: ana.user, getToken: ana.getToken }));
    const seen: string[][] = [];
    second.watch((items) => seen.push(items.map((i) => i.room)));
    await waitFor(() => second.conversations().length === 4, { what: 'four conversations after signing in again' });
    expect(second.conversations().map((c) => c.room)).to.have.members(rooms);
    expect(second.conversations()[0]!.room).to.equal(rooms[1]);
    expect(second.conversations().find((c) => c.room === direct.room)!.kind).to.equal('direct');
    expect(seen[0]).to.deep.equal([]); // the empty cache first, then live
  });

  it('a removed member sees "You were removed", keeps the history read-only and their queued message fails with the reason', async () => {
    const olga = await member('Olga');
    const mia = await member('Mia');
    const { room } = await olga.api.createConversation({ kind: 'group', title: 'Club', members: [mia.user.id] });
    const owner = track(openConversation({ relayUrl: olga.url, room, user: olga.user, getToken: olga.getToken, backoff: { baseMs: 100, maxMs: 1000 } }));
    const mine = track(openConversation({ relayUrl: mia.url, room, user: mia.user, getToken: mia.getToken, backoff: { baseMs: 100, maxMs: 1000 } }));
    await until(owner, (s) => s.connection.synced, 'owner synced');
    await until(mine, (s) => s.connection.synced, 'member synced');
    await owner.send('welcome');
    await until(mine, (s) => s.messages.some((m) => m.text === 'welcome'), 'member reads');
    expect(membersOf(owner).map((m) => [m.userId, m.role])).to.deep.equal([[olga.user.id, 'owner'], [mia.user.id, 'member']]);
    remove(owner, mia.user.id);
    await until(mine, (s) => removalOf(s) !== undefined, 'member sees the removal');
    expect(removalOf(mine.getState())!.message).to.equal('You were removed from this conversation');
    expect(mine.getState().messages.map((m) => m.text)).to.deep.equal(['welcome']);
    const queued = mine.send('are you there?');
    const failed = await waitFor(() => mine.getState().messages.find((m) => m.text === 'are you there?' && m.status === 'failed'), { what: 'queued message fails' });
    expect(failed.error).to.equal('removed from this conversation');
    await queued.catch(() => undefined);
    // The owner was unaffected and the room never got the message.
    await owner.send('still here');
    expect(owner.getState().messages.map((m) => m.text)).to.deep.equal(['welcome', 'still here']);
  });

  it('a direct conversation started by both sides at once while the relay is down is one room with both messages', async () => {
    const ana = await member('Ana');
    const bob = await member('Bob');
    await stopRelay();
    try {
      const [a, b] = await Promise.all([openDirect(ana.api, ana.user.id, bob.user.id), openDirect(bob.api, bob.user.id, ana.user.id)]);
      expect(a.room).to.equal(b.room);
      await startRelay();
      await Promise.all([a.ready, b.ready]);
    } finally {
      await startRelay();
    }
    const room = (await openDirect(ana.api, ana.user.id, bob.user.id)).room;
    const anaChat = track(openConversation({ relayUrl: ana.url, room, user: ana.user, getToken: ana.getToken }));
    const bobChat = track(openConversation({ relayUrl: bob.url, room, user: bob.user, getToken: bob.getToken }));
    await anaChat.send('hi bob');
    await bobChat.send('hi ana');
    for (const chat of [anaChat, bobChat]) {
      await until(chat, (s) => s.messages.filter((m) => m.text.startsWith('hi ')).length === 2, 'both messages in the one room');
    }
    expect(membersOf(anaChat).map((m) => m.role)).to.deep.equal(['member', 'member']);
  });

  it('invite-link round trip, and a ban through the client API', async () => {
    const ivy = await member('Ivy');
    const joe = await member('Joe');
    const { room } = await ivy.api.createConversation({ kind: 'group', title: 'Club' });
    const invite = await ivy.api.createInvite(room, { role: 'member', maxUses: 1 });
    const accepted = await joe.api.acceptInvite(invite.code);
    expect(accepted).to.include({ room, role: 'member', joined: true, title: 'Club' });
    const again = await (await member('Zed')).api.acceptInvite(invite.code).catch((e: Error & { code?: string }) => e);
    expect((again as { code?: string }).code).to.equal('invite-used-up');
    const owner = track(openConversation({ relayUrl: ivy.url, room, user: ivy.user, getToken: ivy.getToken }));
    await until(owner, (s) => s.connection.synced && membersOf(owner).length === 2, 'owner sees joe');
    setRole(owner, joe.user.id, 'banned');
    const joeChat = track(openConversation({ relayUrl: joe.url, room, user: joe.user, getToken: joe.getToken }));
    await until(joeChat, (s) => removalOf(s)?.kind === 'banned', 'joe is refused as banned');
  });

  it('opens a 300-conversation list from IndexedDB (figure printed, not asserted)', async () => {
    const user = uniqueUser('Many');
    // Seed the account cache as a previous session would have left it.
    const seed = new Y.Doc();
    const list = seed.getMap('conversations');
    seed.transact(() => {
      for (let i = 0; i < 300; i++) list.set(`c.room-${i}`, { kind: 'group', title: `Conversation ${i}`, role: 'member', joinedAt: 1_700_000_000_000 + i });
      for (let i = 0; i < 300; i += 7) seed.getMap('preferences').set(`c.room-${i}`, { pinned: i % 2 === 0, archived: i % 3 === 0 });
    });
    const persistence = new IndexeddbPersistence(docDbName(user.id, '~account'), seed);
    await persistence.whenSynced;
    await persistence.destroy();
    const runs: number[] = [];
    for (let run = 0; run < 5; run++) {
      const started = performance.now();
      const account = openAccount({ relayUrl: 'ws://127.0.0.1:9', user, getToken: async () => 'unused', backoff: { baseMs: 60_000, maxMs: 60_000 } });
      const items = await new Promise<number>((resolve) => {
        const stop = account.watch((rows, { source }) => {
          if (source === 'cache') {
            stop();
            resolve(rows.length);
          }
        });
      });
      runs.push(performance.now() - started);
      expect(items).to.be.greaterThan(250);
      await account.close();
    }
    runs.sort((a, b) => a - b);
    console.log(`[bench] account list of 300 conversations from IndexedDB: median ${runs[2]!.toFixed(1)} ms (runs ${runs.map((r) => r.toFixed(1)).join(', ')})`);
    await logout(user.id);
  });
});
