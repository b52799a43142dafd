// <chat-app> as people expect a chat to behave (issue 14): Back returns to the list, stable order, notification states, muted rooms, errors for people, unsent warning.
import { expect } from '@esm-bundle/chai';
import type { ChatApp } from '../../client/ui/chat-app/chat-app.js';
import { listInbox, membershipApi } from '../../client/index.js';
import { closeAll, mintToken, open, relayInfo } from './support/helpers.js';
import { appRoom, appRoot, listItem, mountApp, startRelay, stopRelay, submitForm, uniqueRoom, uniqueUser, waitFor, whenSynced } from './ui-helpers.js';

const shadow = appRoot;
const roomEl = appRoom;
const submit = submitForm;
const titles = (app: ChatApp): string[] => [...shadow(app).querySelectorAll('.room-title')].map((t) => t.textContent ?? '');
const mounted: ChatApp[] = [];

async function mount(options?: Parameters<typeof mountApp>[0]): Promise<ChatApp> {
  const app = await mountApp(options);
  mounted.push(app);
  return app;
}

async function signedIn(name = 'Ada'): Promise<ChatApp> {
  localStorage.removeItem('parley:session');
  const app = await mount();
  await submit(app, '.signin form', 'name', `${name} ${Math.random().toString(36).slice(2, 7)}`);
  await waitFor(() => shadow(app).querySelector('.join'), { what: 'signed in' });
  return app;
}

async function join(app: ChatApp, room: string): Promise<void> {
  await submit(app, '.join', 'room', room);
  await waitFor(() => app.activeRoom === room && roomEl(app)?.getAttribute('room') === room, { what: `room ${room} open` });
}

describe('ui: <chat-app> behaviour', () => {
  afterEach(async () => {
    await startRelay();
    for (const app of mounted.splice(0)) app.remove();
    await closeAll();
    history.replaceState(null, '', location.pathname + location.search);
  });

  it('returns to the conversation list with the in-app ← and with the browser Back button', async () => {
    const app = await signedIn();
    const room = uniqueRoom('app-back');
    await join(app, room);
    expect(location.hash).to.equal(`#/room/${room}`);
    // In-app ←: the room closes and the URL no longer names it (a reload shows the list).
    shadow(app).querySelector<HTMLButtonElement>('.back')!.click();
    await waitFor(() => app.activeRoom === undefined, { what: 'list after ←' });
    await waitFor(() => !location.hash.startsWith('#/room/'), { what: 'URL without the room after ←' });
    // Browser Back from a room opened from the list: back to the list, still in the app.
    listItem(app, room)!.querySelector<HTMLButtonElement>('button.room')!.click();
    await waitFor(() => app.activeRoom === room, { what: 'room reopened' });
    const before = location.pathname;
    history.back();
    await waitFor(() => app.activeRoom === undefined, { what: 'list after Back' });
    expect(location.pathname).to.equal(before);
    expect(location.hash.startsWith('#/room/')).to.equal(false);
  });

  it('orders conversations by last activity, and an empty one does not jump to the top on reload', async () => {
    let app = await signedIn();
    const empty = uniqueRoom('app-empty');
    const busy = uniqueRoom('app-busy');
    await join(app, empty);
    await join(app, busy);
    const bob = await open(busy, uniqueUser('Bob'));
    await bob.send('news');
    await waitFor(() => listItem(app, busy)?.querySelector('.preview')?.textContent?.includes('news'), { what: 'message listed' });
    expect(titles(app).indexOf(busy)).to.be.lessThan(titles(app).indexOf(empty));
    // Reload: the app opens every room of the inbox again (which moves each room's open time to now).
    const userId = JSON.parse(localStorage.getItem('parley:session')!).userId as string;
    const reloadAt = Date.now();
    app.remove();
    app = await mount();
    await waitFor(async () => ((await listInbox(userId)).find((e) => e.room === empty)?.openedAt ?? 0) >= reloadAt, { what: 'empty room reopened' });
    await waitFor(() => titles(app).includes(empty) && listItem(app, busy)?.querySelector('.preview')?.textContent?.includes('news'), { what: 'list after reload' });
    await app.updateComplete;
    expect(titles(app).indexOf(busy), 'the room with the newer message stays above the empty room').to.be.lessThan(titles(app).indexOf(empty));
  });

  it('hides "Enable notifications" once permission was granted elsewhere, and says how to re-enable when blocked', async () => {
    let permission: NotificationPermission = 'default';
    const descriptor = Object.getOwnPropertyDescriptor(Notification, 'permission');
    Object.defineProperty(Notification, 'permission', { configurable: true, get: () => permission });
    try {
      const app = await signedIn();
      const foot = (): HTMLElement => shadow(app).querySelector<HTMLElement>('.foot')!;
      await waitFor(() => foot().textContent?.includes('Enable notifications'), { what: 'enable button' });
      // Granted in the site settings or another tab: the button goes when the user comes back.
      permission = 'granted';
      window.dispatchEvent(new Event('focus'));
      await waitFor(() => !foot().textContent?.includes('Enable notifications'), { what: 'button gone after grant' });
      // Blocked: a sentence says how to turn them back on.
      permission = 'denied';
      window.dispatchEvent(new Event('focus'));
      await waitFor(() => foot().querySelector('.notice')?.textContent?.includes('site settings'), { what: 'how to re-enable' });
    } finally {
      if (descriptor) Object.defineProperty(Notification, 'permission', descriptor);
      else delete (Notification as unknown as Record<string, unknown>).permission;
    }
  });

  it('keeps a muted room out of the tab title and greys its badge (muted with the bell, in the account)', async () => {
    const app = await signedIn();
    const userId = JSON.parse(localStorage.getItem('parley:session')!).userId as string;
    // The bell mutes in the account document: only conversations of the account have one.
    const bobUser = uniqueUser('Bob');
    const { url } = await relayInfo();
    const bobApi = membershipApi({ relayUrl: url, getToken: () => mintToken({ sub: bobUser.id, name: bobUser.name, rooms: {} }) });
    const title = `Quiet ${Math.random().toString(36).slice(2, 7)}`;
    const { room: quiet } = await bobApi.createConversation({ kind: 'group', title, members: [userId] });
    await waitFor(() => listItem(app, title), { what: 'the conversation in the list' });
    listItem(app, title)!.querySelector<HTMLButtonElement>('.mute')!.click();
    await waitFor(() => listItem(app, title)?.querySelector('.mute')?.getAttribute('aria-pressed') === 'true', { what: 'muted' });
    await join(app, uniqueRoom('app-elsewhere'));
    const bob = await open(quiet, bobUser);
    await bob.send('psst');
    await waitFor(() => listItem(app, title)?.querySelector('.badge'), { what: 'badge of the muted room' });
    const badge = listItem(app, title)!.querySelector<HTMLElement>('.badge')!;
    expect(badge.hasAttribute('data-muted')).to.equal(true);
    const accent = getComputedStyle(shadow(app).querySelector<HTMLElement>('.join button')!).backgroundColor;
    expect(getComputedStyle(badge).backgroundColor).to.not.equal(accent);
    expect(document.title).to.equal('Parley');
  });

  it('turns "my team room" into a valid room name and shows a room-name error in full above the list', async () => {
    const app = await signedIn();
    await submit(app, '.join', 'room', '  my team room ');
    await waitFor(() => app.activeRoom === 'my-team-room', { what: 'my-team-room open' });
    await submit(app, '.join', 'room', '!!! ???');
    const error = await waitFor(() => shadow(app).querySelector<HTMLElement>('.sidebar .error'), { what: 'room-name error' });
    expect(error.textContent).to.contain('room name');
    const nav = shadow(app).querySelector('nav')!;
    expect(error.scrollHeight, 'error text not clipped').to.be.at.most(error.clientHeight + 1);
    expect(error.getBoundingClientRect().bottom, 'error above the list').to.be.at.most(nav.getBoundingClientRect().top + 1);
  });

  it('says the relay cannot be reached (not "Failed to fetch") when signing in fails, in the danger colour', async () => {
    localStorage.removeItem('parley:session');
    const app = await mount({ relay: 'http://127.0.0.1:9', devMinter: true });
    await submit(app, '.signin form', 'name', 'Ada');
    const error = await waitFor(() => shadow(app).querySelector<HTMLElement>('.signin .error'), { what: 'sign-in error' });
    expect(error.textContent).to.contain('Could not reach the Parley relay');
    expect(error.textContent).to.not.contain('Failed to fetch');
    const probe = document.createElement('span');
    probe.style.color = 'var(--_danger)';
    error.append(probe);
    expect(getComputedStyle(error).color).to.equal(getComputedStyle(probe).color);
    probe.remove();
  });

  it('gives the embed example a favicon that loads (no 404)', async () => {
    const page = new DOMParser().parseFromString(await (await fetch('/examples/embed.html')).text(), 'text/html');
    const link = page.querySelector<HTMLLinkElement>('link[rel~="icon"]');
    expect(link, 'a <link rel="icon">').to.not.equal(null);
    const response = await fetch(new URL(link!.getAttribute('href')!, new URL('/examples/embed.html', location.href)));
    expect(response.ok).to.equal(true);
    expect((await response.text()).startsWith('<svg')).to.equal(true);
  });

  it('warns before signing out while messages are still waiting to be sent', async () => {
    const app = await signedIn();
    const room = uniqueRoom('app-unsent');
    await join(app, room);
    await whenSynced(roomEl(app)!);
    await stopRelay();
    await waitFor(() => roomEl(app)!.status !== 'synced', { what: 'offline' });
    await roomEl(app)!.activeConversation!.send('not yet sent');
    const signOut = [...shadow(app).querySelectorAll<HTMLButtonElement>('.foot button')].find((b) => b.textContent?.includes('Sign out'))!;
    signOut.click();
    const warning = await waitFor(() => shadow(app).querySelector<HTMLElement>('.unsent'), { what: 'unsent warning' });
    expect(warning.textContent).to.contain('1 message is not sent yet');
    expect(localStorage.getItem('parley:session')).to.not.equal(null);
    [...warning.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent?.includes('Stay'))!.click();
    await waitFor(() => !shadow(app).querySelector('.unsent'), { what: 'warning dismissed' });
  });
});
