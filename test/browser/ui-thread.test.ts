// <chat-thread> in real Chromium on a real relay: shows a thread, sends replies (also to the conversation), marks what it shows read.
import { expect } from '@esm-bundle/chai';
import '../../client/ui/chat-thread/chat-thread.js';
import type { ChatThread } from '../../client/ui/chat-thread/chat-thread.js';
import { closeAll, open, uniqueRoom, uniqueUser, until, waitFor } from './support/helpers.js';

describe('<chat-thread>', () => {
  let el: ChatThread | undefined;
  afterEach(async () => {
    el?.remove();
    await closeAll();
  });

  it('shows the root and its replies, replies in the thread and marks it read', async () => {
    const room = uniqueRoom('ui-thread');
    const ada = await open(room, uniqueUser('Ada'));
    const bob = await open(room, uniqueUser('Bob'));
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    const root = await ada.send('thread root here');
    await until(bob, (s) => s.messages.some((m) => m.id === root.id), 'bob sees the root');
    await bob.replyInThread(root.id, 'first answer');
    await until(ada, (s) => s.threads[0]?.unread === 1, 'one unread reply for ada');

    el = document.createElement('chat-thread');
    el.conversation = ada;
    el.root = root.id;
    document.body.append(el);
    await el.updateComplete;
    const shadow = el.shadowRoot!;
    await waitFor(() => shadow.querySelectorAll('.msg.reply').length === 1, { what: 'the reply shown' });
    expect(shadow.querySelector('.msg.root')!.textContent).to.contain('thread root here');
    await until(ada, (s) => s.threads[0]?.unread === 0, 'shown replies marked read');

    const textarea = shadow.querySelector('textarea')!;
    textarea.value = 'second answer';
    shadow.querySelector<HTMLInputElement>('input[type="checkbox"]')!.checked = true;
    textarea.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
    await until(bob, (s) => s.messages.some((m) => m.text === 'second answer' && m.threadRoot === root.id && m.alsoInMain === true), 'bob gets the reply, also in the conversation');
    await waitFor(() => shadow.querySelectorAll('.msg.reply').length === 2, { what: 'both replies shown' });
    const closed = new Promise((resolve) => el!.addEventListener('chat-thread-close', resolve));
    shadow.querySelector<HTMLButtonElement>('header button')!.click();
    await closed;
  });
});
