// <chat-app> against the real relay: sign in, join rooms, list with unread badge, last message and presence, offline indicator, sign out.
import { expect } from '@esm-bundle/chai';
import type { ChatApp } from '../../client/ui/chat-app/chat-app.js';
import { axeViolations } from './support/axe.js';
import { closeAll, open } from './support/helpers.js';
import { appRoom, appRoot, listItem, mountApp, startRelay, stopRelay, submitForm, uniqueRoom, uniqueUser, waitFor, whenSynced } from './ui-helpers.js';

const shadow = appRoot;
const roomEl = appRoom;
const submit = submitForm;

describe('ui: <chat-app>', () => {
  let app: ChatApp | undefined;
  afterEach(async () => {
    await startRelay();
    app?.remove();
    app = undefined;
    await closeAll();
  });

  it('signs in, joins rooms, lists them with unread badge, last message and presence, shows offline, signs out', async () => {
    localStorage.removeItem('parley:session');
    app = await mountApp();
    const name = `Ada ${Math.random().toString(36).slice(2, 7)}`;
    await submit(app, '.signin form', 'name', name);
    await waitFor(() => shadow(app!).querySelector('.join'), { what: 'signed in' });
    const userId = JSON.parse(localStorage.getItem('parley:session')!).userId as string;
    expect(userId).to.match(/^dev-ada-/);

    const first = uniqueRoom('app-a');
    const second = uniqueRoom('app-b');
    const bob = await open(first, uniqueUser('Bob'));
    await submit(app, '.join', 'room', first);
    await waitFor(() => roomEl(app!), { what: 'room view' });
    await whenSynced(roomEl(app!)!);
    expect(app.activeRoom).to.equal(first);
    expect(location.hash).to.equal(`#/room/${first}`);
    await bob.send('hello from bob');
    await waitFor(() => listItem(app!, first)?.querySelector('.preview')?.textContent === 'Bob: hello from bob', { what: 'last message in the list' });
    await waitFor(() => listItem(app!, first)?.querySelector('.online')?.textContent?.includes('1'), { what: 'presence in the list' });

    // In another room, Bob's next message in the first room shows as unread.
    await submit(app, '.join', 'room', second);
    await waitFor(() => app!.activeRoom === second && roomEl(app!)?.getAttribute('room') === second, { what: 'second room open' });
    await bob.send('are you there?');
    await waitFor(() => listItem(app!, first)?.querySelector('.badge')?.textContent?.includes('1'), { what: 'unread badge' });
    expect(document.title).to.equal('(1) Parley');
    // Opening it reads it.
    listItem(app, first)!.querySelector<HTMLButtonElement>('button.room')!.click();
    await waitFor(() => !listItem(app!, first)?.querySelector('.badge'), { what: 'badge cleared' });

    // Mutes live in the account document (the bell: push-app.test.ts). The relay lists a room the token grants
    // in the account on its first connect, so the room joined by name gets its bell once that arrives (not at
    // once: a check for "no bell" races it); nothing is kept on this device.
    await waitFor(() => listItem(app!, second)?.querySelector('.mute'), { what: 'the bell of the room joined by name' });
    expect(localStorage.getItem(`parley:muted:${userId}`)).to.equal(null);

    // Offline indicator while the relay is down.
    await stopRelay();
    await waitFor(() => shadow(app!).querySelector('.offline'), { what: 'offline indicator' });
    await startRelay();
    roomEl(app)!.shadowRoot!.querySelector<HTMLButtonElement>('[part="banner"] button')?.click();
    await waitFor(() => !shadow(app!).querySelector('.offline'), { what: 'back online' });

    // Sign out wipes the session and returns to the sign-in form.
    shadow(app).querySelectorAll<HTMLButtonElement>('.foot button').forEach((b) => b.textContent?.includes('Sign out') && b.click());
    await waitFor(() => shadow(app!).querySelector('.signin form'), { what: 'signed out' });
    expect(localStorage.getItem('parley:session')).to.equal(null);
  });

  it('has no axe-core violations on the sign-in screen and the room view', async () => {
    localStorage.removeItem('parley:session');
    app = await mountApp();
    const run = (): Promise<string[]> => axeViolations(app!);
    expect(await run()).to.deep.equal([]);
    await submit(app, '.signin form', 'name', `Eve ${Math.random().toString(36).slice(2, 7)}`);
    await submit(app, '.join', 'room', uniqueRoom('app-axe'));
    await waitFor(() => roomEl(app!), { what: 'room view' });
    await whenSynced(roomEl(app!)!);
    expect(await run()).to.deep.equal([]);
    shadow(app).querySelectorAll<HTMLButtonElement>('.foot button').forEach((b) => b.textContent?.includes('Sign out') && b.click());
    await waitFor(() => shadow(app!).querySelector('.signin form'), { what: 'signed out' });
  });
});
