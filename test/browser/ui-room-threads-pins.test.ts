// <chat-room> with threads, pins and in-conversation search, in real Chromium against the test relay.
import { expect } from '@esm-bundle/chai';
import { sendMessage } from '../../shared/conversation.js';
// The panels are separate elements: a page that wants them in <chat-room> loads them (the app does).
import '../../client/ui/chat-search/chat-search.js';
import '../../client/ui/chat-thread/chat-thread.js';
import type { ChatThread } from '../../client/ui/chat-thread/chat-thread.js';
import type { ChatSearch } from '../../client/ui/chat-search/chat-search.js';
import { closeAll, open, until } from './support/helpers.js';
import { $, $$, messageWith, mountRoom, uniqueRoom, uniqueUser, unmountAll, waitFor, waitForMessage, whenSynced } from './ui-helpers.js';

describe('<chat-room>: threads, pins and search', () => {
  afterEach(async () => {
    await unmountAll();
    await closeAll();
  });

  it('keeps thread replies under their root with a summary, and opens the thread panel', async () => {
    const room = uniqueRoom('ui-threads');
    const ada = uniqueUser('Ada');
    const el = await mountRoom({ room, user: ada });
    await whenSynced(el);
    const bob = await open(room, uniqueUser('Bob'));
    await until(bob, (s) => s.connection.synced, 'bob synced');
    // Ada starts it, so she follows the thread and its replies count as unread for her.
    const root = await el.activeConversation!.send('which venue?');
    await until(bob, (s) => s.messages.some((m) => m.id === root.id), 'bob sees the root');
    await bob.replyInThread(root.id, 'the old mill');
    const summary = await waitFor(() => el.shadowRoot!.querySelector<HTMLButtonElement>('.thread-summary'), { what: 'a thread summary' });
    expect(summary.textContent).to.match(/1 reply, 1 new/);
    // The reply lives in the thread, not in the main flow.
    expect(messageWith(el, 'the old mill')).to.equal(undefined);
    summary.click();
    const panel = await waitFor(() => el.shadowRoot!.querySelector<ChatThread>('chat-thread'), { what: 'the thread panel' });
    await waitFor(() => panel.shadowRoot!.querySelector('.msg.reply')?.textContent?.includes('the old mill'), { what: 'the reply in the panel' });
    await waitFor(() => !el.shadowRoot!.querySelector('.thread-summary')?.textContent?.includes('new'), { what: 'the thread marked read' });
    panel.shadowRoot!.querySelector<HTMLButtonElement>('header button')!.click();
    await waitFor(() => el.shadowRoot!.querySelector('chat-thread') === null, { what: 'the panel closed' });

    // The thread list in the header: one thread, opened from the list.
    const toggle = $(el, '.threads-toggle');
    expect(toggle.textContent).to.contain('1');
    toggle.click();
    const item = await waitFor(() => el.shadowRoot!.querySelector<HTMLButtonElement>(`.thread-list button[data-root="${root.id}"]`), { what: 'the thread in the list' });
    expect(item.textContent).to.contain('which venue?');
    item.click();
    await waitFor(() => el.shadowRoot!.querySelector<ChatThread>('chat-thread')?.root === root.id, { what: 'the thread opened from the list' });
  });

  it('shows pins in the header, jumps to a pinned message and lets admins pin from the message actions', async () => {
    const room = uniqueRoom('ui-pins');
    const mod = uniqueUser('Mod');
    const el = await mountRoom({ room, user: mod, role: 'admin' });
    await whenSynced(el);
    const ada = await open(room, uniqueUser('Ada'));
    await until(ada, (s) => s.connection.synced, 'ada synced');
    const first = await ada.send('read the handbook first');
    for (let i = 0; i < 40; i++) await ada.send(`chatter ${i}`);
    await waitForMessage(el, 'chatter 39');
    await waitFor(() => el.activeConversation?.getState().role === 'admin', { what: 'admin role known' });
    await el.activeConversation!.pin(first.id);
    const bar = await waitFor(() => el.shadowRoot!.querySelector<HTMLElement>('.pinned'), { what: 'the pinned bar' });
    expect(bar.textContent).to.contain('read the handbook first');
    $(el, '.pinned-text').click();
    await waitFor(() => el.shadowRoot!.querySelector(`.msg.highlight[data-id="${first.id}"]`), { what: 'the pinned message shown highlighted' });
    $(el, '.pinned-unpin').click();
    await waitFor(() => el.shadowRoot!.querySelector('.pinned') === null, { what: 'the pin gone' });
    // From the message's own actions.
    const row = messageWith(el, 'read the handbook first')!;
    row.querySelector<HTMLButtonElement>('[data-action="pin"]')!.click();
    await until(ada, (s) => s.pins.length === 1, 'the pin reached ada');
  });

  it('searches the conversation from the header and shows the chosen message highlighted; no-search turns it off', async () => {
    const room = uniqueRoom('ui-room-search');
    const ada = uniqueUser('Ada');
    const el = await mountRoom({ room, user: ada });
    await whenSynced(el);
    const conversation = el.activeConversation!;
    // History written straight into the document, so the test does not wait on 300 round trips.
    let target = '';
    conversation.doc.transact(() => {
      target = sendMessage(conversation.doc, { userId: ada.id, role: 'write' }, { text: 'the quokka password is bluebird' }).id;
      for (let i = 0; i < 300; i++) sendMessage(conversation.doc, { userId: ada.id, role: 'write' }, { text: `filler message ${i}` });
    });
    await waitForMessage(el, 'filler message 299');
    $(el, '.search-toggle').click();
    const search = await waitFor(() => el.shadowRoot!.querySelector<ChatSearch>('chat-search'), { what: 'the search panel' });
    await search.updateComplete;
    search.setQuery('quokk');
    const hit = await waitFor(() => search.shadowRoot!.querySelector<HTMLElement>(`li[data-message="${target}"]`), { what: 'the search hit', timeoutMs: 15_000 });
    hit.click();
    await waitFor(() => el.shadowRoot!.querySelector(`.msg.highlight[data-id="${target}"]`), { what: 'the result shown, 300 messages back' });
    expect($$(el, '.msg').length).to.be.below(120); // still virtualized

    const embed = await mountRoom({ room, user: ada, attributes: { 'no-search': '' } });
    await whenSynced(embed);
    expect(embed.shadowRoot!.querySelector('.search-toggle')).to.equal(null);
  });
});
