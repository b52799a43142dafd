// <chat-app> membership in real Chromium: the list from the account document on a fresh sign-in, New conversation, members panel, system entries, invite links.
import { expect } from '@esm-bundle/chai';
import '../../client/ui/chat-app/chat-app.js';
import type { ChatApp } from '../../client/ui/chat-app/chat-app.js';
import { membershipApi } from '../../client/index.js';
import { mintToken, relayInfo, waitFor } from './ui-helpers.js';
import { watchSockets } from './support/helpers.js';

const shadow = (app: ChatApp): ShadowRoot => app.shadowRoot!;
const titles = (app: ChatApp): string[] => [...shadow(app).querySelectorAll('.room-item .room-title')].map((el) => el.textContent ?? '');

/** An app whose tokens grant no room: everything it shows comes from rosters and the account document. */
async function mountApp(): Promise<ChatApp> {
  const { url } = await relayInfo();
  const app = document.createElement('chat-app');
  app.relay = url;
  app.mintToken = ({ name, sub }) => mintToken({ sub, name, rooms: {} });
  app.style.cssText = 'display: block; height: 600px; width: 900px;';
  document.body.append(app);
  await app.updateComplete;
  return app;
}

async function signIn(app: ChatApp, name: string): Promise<void> {
  const form = await waitFor(() => shadow(app).querySelector<HTMLFormElement>('.signin form'), { what: 'sign-in form' });
  form.querySelector<HTMLInputElement>('[name="name"]')!.value = name;
  form.requestSubmit();
  await waitFor(() => shadow(app).querySelector('.join'), { what: 'signed in' });
}

const signOut = async (app: ChatApp): Promise<void> => {
  const button = [...shadow(app).querySelectorAll<HTMLButtonElement>('.foot button')].find((b) => b.textContent?.includes('Sign out'))!;
  button.click();
  await waitFor(() => shadow(app).querySelector('.signin form'), { what: 'signed out' });
};

async function apiFor(sub: string) {
  const { url } = await relayInfo();
  return membershipApi({ relayUrl: url, getToken: () => mintToken({ sub, name: sub, rooms: {} }) });
}

describe('ui: <chat-app> membership', () => {
  let app: ChatApp | undefined;
  afterEach(() => {
    app?.remove();
    app = undefined;
    location.hash = '';
  });

  it('lists every conversation from the account after sign-in, creates one, manages members, and joins from an invite link', async () => {
    localStorage.removeItem('parley:session');
    const tag = Math.random().toString(36).slice(2, 7);
    const name = `Ana ${tag}`;
    const anaId = `dev-ana-${tag}`;
    const bobId = `bob-${tag}`;
    const bob = await apiFor(bobId);
    await bob.createConversation({ kind: 'group', title: `Bob's group ${tag}`, members: [anaId] });
    await bob.createConversation({ kind: 'channel', title: `News ${tag}`, members: [anaId] });
    const club = (await bob.createConversation({ kind: 'group', title: `Club ${tag}` })).room;

    app = await mountApp();
    await signIn(app, name);
    await waitFor(() => titles(app!).length === 2, { what: 'the two conversations from the account document' });
    expect(titles(app)).to.have.members([`Bob's group ${tag}`, `News ${tag}`]);

    // New conversation: a group with bob.
    const newButton = [...shadow(app).querySelectorAll<HTMLButtonElement>('.join button')].find((b) => b.textContent === 'New')!;
    newButton.click();
    await app.updateComplete;
    const dialog = shadow(app).querySelector<HTMLFormElement>('.new-conversation')!;
    dialog.querySelector<HTMLInputElement>('[name="title"]')!.value = `Launch ${tag}`;
    dialog.querySelector<HTMLInputElement>('[name="members"]')!.value = bobId;
    dialog.requestSubmit();
    await waitFor(() => app!.activeRoom?.startsWith('c.'), { what: 'the new conversation open' });
    await waitFor(() => titles(app!).includes(`Launch ${tag}`), { what: 'the new conversation listed' });
    const room = shadow(app).querySelector('chat-room')!;
    await waitFor(() => room.shadowRoot?.querySelector('.row.system')?.textContent?.includes('created'), { what: 'the created entry in the history' });

    // Members panel: ana is owner, bob member; remove bob.
    shadow(app).querySelector<HTMLButtonElement>('.members-toggle')!.click();
    await waitFor(() => shadow(app!).querySelectorAll('.member').length === 2, { what: 'two members' });
    const roles = [...shadow(app).querySelectorAll('.member')].map((li) => li.getAttribute('data-role'));
    expect(roles).to.deep.equal(['owner', 'member']);
    const bobRow = [...shadow(app).querySelectorAll<HTMLElement>('.member')].find((li) => li.textContent?.includes(bobId))!;
    [...bobRow.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent === 'Remove')!.click();
    await waitFor(() => shadow(app!).querySelectorAll('.member').length === 1, { what: 'bob removed' });
    await waitFor(() => room.shadowRoot?.querySelector('.log')?.textContent?.includes('removed'), { what: 'the removed entry' });

    // An invite link to bob's club: ana follows it and lands in the room.
    const invite = await bob.createInvite(club, { role: 'member' });
    location.hash = `#/invite/${invite.code}`;
    await waitFor(() => app!.activeRoom === club, { what: 'joined from the invite link' });
    await waitFor(() => titles(app!).includes(`Club ${tag}`), { what: 'the club listed' });

    // A public channel's link: ana joins it as a member.
    const open = (await bob.createConversation({ kind: 'channel', title: `Open ${tag}`, public: true })).room;
    location.hash = `#/join/${open}`;
    await waitFor(() => app!.activeRoom === open, { what: 'joined the public channel from its link' });

    // Signing out wipes this device; signing in again brings every conversation back from the relay.
    await signOut(app);
    await signIn(app, name);
    await waitFor(() => titles(app!).length === 5, { what: 'all five conversations after signing in again' });
    expect(titles(app)).to.have.members([`Bob's group ${tag}`, `News ${tag}`, `Launch ${tag}`, `Club ${tag}`, `Open ${tag}`]);
  });
});

describe('ui: <chat-room> removed state', () => {
  it('shows "You were removed from this conversation", keeps the history and disables the composer', async () => {
    const tag = Math.random().toString(36).slice(2, 7);
    const owner = await apiFor(`olga-${tag}`);
    const miaId = `mia-${tag}`;
    const { room } = await owner.createConversation({ kind: 'group', title: 'Club', members: [miaId] });
    const { url } = await relayInfo();
    const el = document.createElement('chat-room');
    el.setAttribute('relay', url);
    el.setAttribute('room', room);
    el.setAttribute('user-id', miaId);
    el.setAttribute('user-name', 'Mia');
    el.getToken = () => mintToken({ sub: miaId, name: 'Mia', rooms: {} });
    el.style.cssText = 'height: 420px; width: 420px; display: inline-flex;';
    document.body.append(el);
    try {
      await waitFor(() => el.shadowRoot?.querySelector('.row.system'), { what: 'history with system entries' });
      // The owner removes mia: written by the owner's client into the roster.
      const { openConversation, remove } = await import('../../client/index.js');
      const olga = openConversation({ relayUrl: url, room, user: { id: `olga-${tag}`, name: 'Olga' }, getToken: () => mintToken({ sub: `olga-${tag}`, name: 'Olga', rooms: {} }) });
      await waitFor(() => olga.getState().connection.synced, { what: 'owner synced' });
      remove(olga, miaId);
      await waitFor(() => el.shadowRoot?.querySelector('.banner')?.textContent?.includes('You were removed from this conversation'), { what: 'removed banner' });
      expect(el.shadowRoot!.querySelector('.row.system')).to.not.equal(null);
      expect(el.shadowRoot!.querySelector<HTMLTextAreaElement>('.input')!.disabled).to.equal(true);
      await olga.close();
    } finally {
      el.remove();
    }
  });
});

describe('ui: <chat-app> in several tabs', () => {
  it('keeps background rooms open in one tab only (the pool lock), all tabs over one /sync socket; another takes over when it closes', async () => {
    localStorage.removeItem('parley:session');
    const tag = Math.random().toString(36).slice(2, 7);
    const userId = `dev-tab-${tag}`;
    const api = await apiFor(`owner-${tag}`);
    for (let i = 0; i < 3; i++) await api.createConversation({ kind: 'group', title: `Room ${i} ${tag}`, members: [userId] });
    const openRooms = (app: ChatApp): number => (app as unknown as { pool?: { entries: Map<string, unknown> } }).pool?.entries.size ?? 0;
    // Count the sockets the apps open: both "tabs" of the user must share one /sync socket (the tab leader's).
    const { urls, stop } = watchSockets();
    const first = await mountApp();
    await signIn(first, `Tab ${tag}`);
    await waitFor(() => openRooms(first) === 3, { what: 'the first tab keeps the three rooms open' });
    // A second "tab" of the same user (same session): lists everything, opens nothing in the background.
    const second = await mountApp();
    try {
      await waitFor(() => titles(second).length === 3, { what: 'the second tab lists the three rooms' });
      expect(openRooms(second)).to.equal(0);
      expect(urls.filter((u) => u.endsWith('/sync')).length, '/sync sockets for two tabs').to.equal(1);
      first.remove();
      await waitFor(() => openRooms(second) === 3, { what: 'the second tab takes over' });
    } finally {
      stop();
      first.remove();
      second.remove();
    }
  });
});
