// <chat-app>'s "@" badge: an unread message mentioning the user marks the room in the list until it is read; a plain one does not.
import { expect } from '@esm-bundle/chai';
import type { ChatApp } from '../../client/ui/chat-app/chat-app.js';
import { closeAll, open } from './support/helpers.js';
import { appRoom, appRoot, listItem, mountApp, submitForm, uniqueRoom, uniqueUser, waitFor, whenSynced } from './ui-helpers.js';

describe('ui: <chat-app> mention badge', () => {
  let app: ChatApp | undefined;
  afterEach(async () => {
    app?.remove();
    app = undefined;
    await closeAll();
  });

  it('counts an unread mention in the conversation list and clears it once read', async () => {
    localStorage.removeItem('parley:session');
    app = await mountApp();
    await submitForm(app, '.signin form', 'name', `Ada ${Math.random().toString(36).slice(2, 7)}`);
    await waitFor(() => appRoot(app!).querySelector('.join'), { what: 'signed in' });
    const adaId = JSON.parse(localStorage.getItem('parley:session')!).userId as string;
    const first = uniqueRoom('app-mention-a');
    const second = uniqueRoom('app-mention-b');
    const bob = await open(first, uniqueUser('Bob'));
    await submitForm(app, '.join', 'room', first);
    await waitFor(() => appRoom(app!), { what: 'room view' });
    await whenSynced(appRoom(app)!);
    // Bob's replica knows Ada once her profile arrived: only then is she mentionable.
    await waitFor(() => bob.getState().profiles.has(adaId), { what: 'Ada’s profile at Bob' });

    await submitForm(app, '.join', 'room', second);
    await waitFor(() => app!.activeRoom === second && appRoom(app!)?.getAttribute('room') === second, { what: 'second room open' });
    await bob.send('no mention here');
    await waitFor(() => listItem(app!, first)?.querySelector('.badge'), { what: 'unread badge' });
    expect(listItem(app, first)!.querySelector('.mention-badge')).to.equal(null);
    const name = bob.getState().profiles.get(adaId)!.name;
    await bob.send(`@${name} are you there?`, { mentions: [adaId] });
    const badge = await waitFor(() => listItem(app!, first)?.querySelector<HTMLElement>('.mention-badge'), { what: 'mention badge' });
    expect(badge.textContent).to.contain('1 unread mention');
    expect(badge.textContent).to.contain('@');
    // Opening the room reads it: the badge goes.
    listItem(app, first)!.querySelector<HTMLButtonElement>('button.room')!.click();
    await waitFor(() => !listItem(app!, first)?.querySelector('.mention-badge'), { what: 'mention badge cleared' });
  });
});
