// <chat-app> search over every conversation on the device: Ctrl+K and `/`, results across rooms, opening one at its message; sign-out deletes the index.
import { expect } from '@esm-bundle/chai';
import '../../client/ui/chat-app/chat-app.js';
import type { ChatApp } from '../../client/ui/chat-app/chat-app.js';
import type { ChatSearch } from '../../client/ui/chat-search/chat-search.js';
import { searchDbName } from '../../client/search/index-store.js';
import { listDatabases } from '../../client/idb.js';
import { closeAll, open, until } from './support/helpers.js';
import { mintToken, relayInfo, uniqueRoom, uniqueUser, waitFor, whenSynced } from './ui-helpers.js';

const shadow = (app: ChatApp): ShadowRoot => app.shadowRoot!;

describe('ui: <chat-app> search', () => {
  let app: ChatApp | undefined;
  afterEach(async () => {
    app?.remove();
    app = undefined;
    await closeAll();
  });

  // The rooms open while the sign-in scan of cached conversations runs: this once lost a room's messages when the
  // scan read its cached copy before the copy caught up (see search-index "never lets a scan … undo …").
  it('finds messages across conversations and opens the chosen one at its message', async () => {
    localStorage.removeItem('parley:session');
    const { url } = await relayInfo();
    app = document.createElement('chat-app');
    app.relay = url;
    app.mintToken = ({ name, sub }) => mintToken({ sub, name, rooms: { '*': 'write' } });
    app.style.cssText = 'display: block; height: 600px; width: 900px;';
    document.body.append(app);
    await app.updateComplete;
    const form = await waitFor(() => shadow(app!).querySelector<HTMLFormElement>('.signin form'), { what: 'sign-in form' });
    form.querySelector<HTMLInputElement>('[name="name"]')!.value = `Ada ${Math.random().toString(36).slice(2, 7)}`;
    form.requestSubmit();
    await waitFor(() => shadow(app!).querySelector('.join'), { what: 'signed in' });
    const userId = JSON.parse(localStorage.getItem('parley:session')!).userId as string;

    const rooms = [uniqueRoom('app-search-a'), uniqueRoom('app-search-b')];
    const bob = await open(rooms[0]!, uniqueUser('Bob'));
    const carol = await open(rooms[1]!, uniqueUser('Carol'));
    await until(bob, (s) => s.connection.synced, 'bob synced');
    await until(carol, (s) => s.connection.synced, 'carol synced');
    const wanted = await bob.send('the zeppelin lands at noon');
    for (let i = 0; i < 60; i++) await bob.send(`later chatter ${i}`);
    await carol.send('zeppelins are back in fashion');
    for (const room of rooms) {
      const join = shadow(app).querySelector<HTMLFormElement>('.join')!;
      join.querySelector<HTMLInputElement>('[name="room"]')!.value = room;
      join.requestSubmit();
      await waitFor(() => shadow(app!).querySelector('chat-room')?.getAttribute('room') === room, { what: `room ${room} open` });
      await whenSynced(shadow(app).querySelector('chat-room')!);
    }

    // Ctrl+K from anywhere opens the search; `/` too when not typing.
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true, bubbles: true }));
    const search = await waitFor(() => shadow(app!).querySelector<ChatSearch>('chat-search.app-search'), { what: 'the app search' });
    await search.updateComplete;
    search.setQuery('zeppel');
    await waitFor(() => search.shadowRoot!.querySelectorAll('li').length === 2, { what: 'results from both rooms', timeoutMs: 15_000 });
    const hit = search.shadowRoot!.querySelector<HTMLElement>(`li[data-message="${wanted.id}"]`)!;
    expect(hit.textContent).to.contain(rooms[0]!);
    hit.click();
    await waitFor(() => app!.activeRoom === rooms[0], { what: 'the result\u2019s room opened' });
    await waitFor(() => shadow(app!).querySelector('chat-room')?.shadowRoot?.querySelector(`.msg.highlight[data-id="${wanted.id}"]`), { what: 'the message shown highlighted' });
    expect(shadow(app).querySelector('chat-search.app-search')).to.equal(null);

    // Sign-out deletes the index with the rest of the user's data.
    await waitFor(async () => (await listDatabases()).includes(searchDbName(userId)), { what: 'the index stored' });
    shadow(app).querySelector<HTMLButtonElement>('.foot button.secondary:last-child')!.click();
    await waitFor(() => shadow(app!).querySelector('.signin'), { what: 'signed out' });
    await waitFor(async () => !(await listDatabases()).includes(searchDbName(userId)), { what: 'the index deleted' });
  });
});
